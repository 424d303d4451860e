"""The operator's desk, without Textual: the workspace, the session controller, the seat
(driver / follower handoff), opening a session as its driver, and the log index.

The screens and widgets render what is here and send intents; `dwtui run` opens sessions
through the same `open_as_driver`.
"""
