"""Jump to any step through Textual's command palette (ctrl+p)."""

from __future__ import annotations

from functools import partial
from typing import Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from dwtui.desk.controller import SessionController
from dwtui.messages import JumpToStep


@runtime_checkable
class ShowsSession(Protocol):
    """A screen showing a session (the main screen, a scenario): its steps are offered."""

    controller: SessionController


class StepProvider(Provider):
    """Every step as `Phase > Step`; choosing one selects it on the main screen."""

    def _entries(self) -> list[tuple[str, str]]:
        if not isinstance(self.screen, ShowsSession):
            return []
        controller = self.screen.controller
        entries = []
        for phase in controller.phases():
            for step in phase.steps:
                entries.append((f"{phase.title} > {step.title}", step.id))
        for scenario in controller.scenarios():
            for step in scenario.steps:
                entries.append((f"Rollback: {scenario.title} > {step.title}", step.id))
        return entries

    def _jump(self, step_id: str) -> None:
        self.screen.post_message(JumpToStep(step_id))

    async def discover(self) -> Hits:
        """All steps, in order, when nothing is typed."""
        for label, step_id in self._entries():
            yield DiscoveryHit(label, partial(self._jump, step_id), help=step_id)

    async def search(self, query: str) -> Hits:
        """Steps whose title (or id) fuzzily matches."""
        matcher = self.matcher(query)
        for label, step_id in self._entries():
            score = max(matcher.match(label), matcher.match(step_id))
            if score > 0:
                yield Hit(
                    score, matcher.highlight(label), partial(self._jump, step_id), help=step_id
                )
