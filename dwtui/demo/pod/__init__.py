"""Files of the stand-in's app pods: `manage.py` and a tiny `django` stub.

The fake cluster's exec handler runs `python manage.py ...` in this directory (the pod's
working directory) with the pod's environment, so `import django` finds the stub here.
"""
