#!/usr/bin/python3
# Accessibility walk of the Registry's certificate authorities view through AT-SPI: start
# certbench as a new user would, open the Registry, select the demo seed's namespace of the
# certificate-authority model (demo-stable-ns), walk the page, then open each of the view's
# dialogs from its buttons (new intermediate CA, revoke and rotate, link a hub, unlink) and walk
# each (a fresh app per dialog: after a modal dialog GTK 4.8 leaves the window's nodes nameless);
# fail on every element a screen reader user could reach but not identify, by the rules
# of test-app-a11y.py (whose audit this reuses). One TAP line per offender.
#
# Usage: test-app-a11y-registry-ca.py CERTBENCH_EXECUTABLE
# Runs in the 'display' suite (Xvfb + a private D-Bus session); its own HOME; TAP on stdout.

import importlib.util
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("a11y", os.path.join(HERE, "test-app-a11y.py"))
a11y = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(a11y)
e2e = a11y.e2e

App, StepFailed, children, find, log = e2e.App, e2e.StepFailed, e2e.children, e2e.find, e2e.log
name_of, role_of, safe, wait_for = e2e.name_of, e2e.role_of, e2e.safe, e2e.wait_for
n_actions = a11y.n_actions

NAMESPACE = "demo-stable-ns"


def dialog_named(app_node, heading_part):
    """A top-level window of the app (a dialog) holding a label with heading_part."""
    for c in children(app_node):
        if role_of(c) in (a11y.pyatspi.ROLE_FRAME, a11y.pyatspi.ROLE_DIALOG,
                          a11y.pyatspi.ROLE_WINDOW) and name_of(c) != "Certbench":
            if find(c, lambda n: heading_part in name_of(n)) is not None:
                return c
    return None


def named_button(app_node, button_name):
    frame = a11y.find_frame(app_node, lambda t: t == "Certbench")
    return frame and find(frame, lambda n: role_of(n) == a11y.pyatspi.ROLE_PUSH_BUTTON
                          and button_name in name_of(n).replace("_", ""))


def walk_dialog(audit, app_node, button_name, heading_part, where):
    # After a modal dialog the window's nodes come back under new names: look again, a while.
    button = safe(lambda: wait_for("the button '%s'" % button_name,
                                   lambda: named_button(app_node, button_name), 30))
    if button is None:
        raise StepFailed("no button '%s'" % button_name)
    e2e.do_action(button, button_name)
    dialog = wait_for("the dialog '%s'" % heading_part,
                      lambda: dialog_named(app_node, heading_part), 30)
    time.sleep(0.5)
    a11y.audit_page(audit, dialog, where)
    # libadwaita 1.2 names a response button by its label twice ("_Cancel Cancel").
    cancel = find(dialog, lambda n: role_of(n) == a11y.pyatspi.ROLE_PUSH_BUTTON
                  and "Cancel" in name_of(n).replace("_", "").split())
    if cancel is None:
        log("buttons:", [(role_of(n), name_of(n)) for n in e2e.walk(dialog)
                         if n_actions(n) > 0])
        audit.not_ok("%s: no Cancel button" % where)
        return
    e2e.do_action(cancel, "Cancel")
    wait_for("the dialog '%s' to close" % heading_part,
             lambda: dialog_named(app_node, heading_part) is None, 15)


DIALOGS = [
    ("New intermediate CA…", "New Intermediate CA", "the new intermediate CA dialog"),
    ("Revoke and rotate “demo-ica”", "Revoke and Rotate", "the revoke-and-rotate dialog"),
    ("Link a hub…", "Link an IoT Hub", "the link dialog"),
    ("Unlink “demo-stable-hub”", "Unlink", "the unlink dialog"),
]


def open_view(top, exe, n):
    """Starts the app and shows the CA view; returns (app, app_node, registry)."""
    import pyatspi
    env = e2e.make_env(os.path.join(top, str(n)))
    schema_dir = e2e.schema_dir_for(exe)
    if schema_dir:
        env["GSETTINGS_SCHEMA_DIR"] = schema_dir
    app = App(exe, env, os.path.join(top, "app-%d.log" % n))
    app.start()
    app_node = wait_for("the certbench application on the accessibility bus",
                        lambda: e2e.find_app_node(app.proc.pid), 20)
    frame = wait_for("the Certbench window",
                     lambda: a11y.find_frame(app_node, lambda t: t == "Certbench"), 20)
    e2e.show_page(frame, "Registry")
    registry = wait_for("the Registry page", lambda: e2e.page_node(frame, "CbRegistryPage"), 10)
    namespaces = wait_for("the namespace list", lambda: find(
        registry, lambda n: role_of(n) == pyatspi.ROLE_LIST and name_of(n) == "Namespaces"
        and n.childCount > 1), 30)
    index = wait_for("the row of %s" % NAMESPACE, lambda: next(
        (i + 1 for i, c in enumerate(children(namespaces))
         if find(c, lambda n: name_of(n) == NAMESPACE) is not None), None), 30) - 1
    # GTK 4.8 gives list rows no action; the list's selection selects the namespace.
    if not namespaces.querySelection().selectChild(index):
        raise StepFailed("selecting %s failed" % NAMESPACE)
    wait_for("the hierarchy", lambda: find(registry, lambda n: name_of(n).startswith("demo-root")),
             30)
    time.sleep(1.0)
    return app, app_node, registry


def run(audit, exe):
    top = tempfile.mkdtemp(prefix="certbench-a11y-ca-")
    app = None
    try:
        import pyatspi
        a11y.pyatspi = pyatspi
        e2e.pyatspi = pyatspi
        e2e.wait_for_display()
        wait_for("the AT-SPI registry", lambda: safe(
            lambda: pyatspi.Registry.getDesktop(0).childCount, -1) >= 0, 15)

        app, app_node, registry = open_view(top, exe, 0)
        a11y.audit_page(audit, registry, "Registry, certificate authorities of %s" % NAMESPACE)
        # After a modal dialog GTK 4.8 gives the window's nodes no names any more: one app
        # for each dialog.
        for n, (button, heading, where) in enumerate(DIALOGS):
            if n > 0:
                app.stop()
                app = None
                app, app_node, registry = open_view(top, exe, n)
            walk_dialog(audit, app_node, button, heading, where)
    except StepFailed as e:
        why = str(e)
        if app is not None:
            why += "\napp output (tail):\n" + app.log_tail()
        audit.not_ok("the walk could not run: %s" % why.splitlines()[0])
        log(why)
    except Exception as e:  # a bug in the test itself still reports through TAP
        import traceback
        audit.not_ok("unexpected error: %r" % e)
        log(traceback.format_exc())
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
