#!/bin/sh
# Runs inside dbus-run-session: unlock a fresh keyring for libsecret, then run meson test.
BUILD=$1
shift
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
eval "$(echo -n test | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)" || true
export GNOME_KEYRING_CONTROL
# This session's keyring is throwaway and unlocked: the real secret-service tests may use it.
export CB_TEST_KEYRING=1
# GTK's default renderer, as users have it: a GSK_RENDERER from the caller would hide its bugs.
unset GSK_RENDERER
exec meson test -C "$BUILD" --print-errorlogs --num-processes 2 "$@"
