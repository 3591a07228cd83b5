#!/usr/bin/python3
# Accessibility walk of the Registry's New Namespace and New Enrollment Group dialogs through
# AT-SPI, the way test-app-a11y-registry-ca.py walks the certificate authorities view's
# dialogs (whose helpers this reuses): start certbench as a new user would, open the Registry on
# the demo seed's namespace of the certificate-authority model, press the button a user would
# press, and fail on every element of the dialog a screen reader user could reach but not
# identify (one TAP line per offender); a fresh app for each dialog.
#
# Usage: test-app-a11y-registry-new.py CERTBENCH_EXECUTABLE
# Runs in the 'display' suite (Xvfb + a private D-Bus session); its own HOME; TAP on stdout.

import importlib.util
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "a11y_ca", os.path.join(HERE, "test-app-a11y-registry-ca.py"))
ca = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ca)
a11y, e2e = ca.a11y, ca.e2e

def dialog_titled(app_node, title):
    """The app's top-level window titled exactly title (a dialog): the main window's buttons
    that open it carry the same words."""
    for c in e2e.children(app_node):
        if e2e.role_of(c) in (a11y.pyatspi.ROLE_FRAME, a11y.pyatspi.ROLE_DIALOG,
                              a11y.pyatspi.ROLE_WINDOW) and e2e.name_of(c) == title:
            return c
    return None


DIALOGS = [
    ("New namespace…", "New Namespace", "the new namespace dialog"),
    ("New enrollment group…", "New Enrollment Group", "the new enrollment group dialog"),
]


def run(audit, exe):
    top = tempfile.mkdtemp(prefix="certbench-a11y-new-")
    app = None
    try:
        import pyatspi
        a11y.pyatspi = pyatspi
        e2e.pyatspi = pyatspi
        e2e.wait_for_display()
        e2e.wait_for("the AT-SPI registry", lambda: e2e.safe(
            lambda: pyatspi.Registry.getDesktop(0).childCount, -1) >= 0, 15)
        for n, (button, heading, where) in enumerate(DIALOGS):
            if app is not None:
                app.stop()
                app = None
            app, app_node, _registry = ca.open_view(top, exe, n)
            ca.dialog_named = dialog_titled
            ca.walk_dialog(audit, app_node, button, heading, where)
    except e2e.StepFailed as e:
        why = str(e)
        if app is not None:
            why += "\napp output (tail):\n" + app.log_tail()
        audit.not_ok("the walk could not run: %s" % why.splitlines()[0])
        e2e.log(why)
    except Exception as e:  # a bug in the test itself still reports through TAP
        import traceback
        audit.not_ok("unexpected error: %r" % e)
        e2e.log(traceback.format_exc())
    finally:
        if app is not None:
            app.stop()
        shutil.rmtree(top, ignore_errors=True)


def main():
    if len(sys.argv) != 2:
        print("usage: %s CERTBENCH_EXECUTABLE" % sys.argv[0], file=sys.stderr)
        return 2
    audit = a11y.Audit()
    run(audit, sys.argv[1])
    audit.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
