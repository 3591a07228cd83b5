#!/bin/sh
# Runs a test on a private session bus without a usable keyring:
#   run-without-keyring.sh none   <test> [args]  no secret service at all: the bus can start
#                                                 only the accessibility bus and dconf, so
#                                                 org.freedesktop.secrets cannot be activated;
#   run-without-keyring.sh locked <test> [args]  gnome-keyring with a login keyring that is
#                                                 locked; its unlock (and create) prompt cannot
#                                                 be shown, so the keyring dismisses it, as
#                                                 when the user cancels the prompt.
# The test gets a throwaway HOME. Needs dbus-run-session and, for "locked", gnome-keyring.
set -eu
MODE=$1
shift

TOP=$(mktemp -d)
trap 'rm -rf "$TOP"' EXIT INT TERM
mkdir -p "$TOP/services" "$TOP/home" "$TOP/run"
chmod 700 "$TOP/run"

for service in org.a11y.Bus.service ca.desrt.dconf.service; do
  if [ -f "/usr/share/dbus-1/services/$service" ]; then
    cp "/usr/share/dbus-1/services/$service" "$TOP/services/"
  fi
done

write_config () {
  cat > "$TOP/session.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=$TOP</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$TOP/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
}

export HOME="$TOP/home" XDG_RUNTIME_DIR="$TOP/run"
export XDG_DATA_HOME="$TOP/home/.local/share" XDG_CONFIG_HOME="$TOP/home/.config"
export XDG_CACHE_HOME="$TOP/home/.cache"
unset GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
export CB_TEST_KEYRING_MODE="$MODE"

case "$MODE" in
  none)
    ;;
  locked)
    # libsecret 0.20.5 sometimes answers a store into a locked keyring whose prompt cannot
    # be shown with a GIO critical (g_task_return_error with a NULL error) and no answer: the
    # keyring's bug, which the app outlives (cb-secrets.c stops waiting), so criticals are
    # not fatal here.
    export G_DEBUG=gc-friendly
    # The secret service can be started, the prompters cannot.
    cat > "$TOP/services/org.freedesktop.secrets.service" <<SERVICE
[D-BUS Service]
Name=org.freedesktop.secrets
Exec=/usr/bin/gnome-keyring-daemon --start --foreground --components=secrets
SERVICE
    # A login keyring with a password, made by a keyring daemon of its own on a bus of its
    # own, stopped again before the test starts: the test's daemon finds it locked.
    write_config
    dbus-run-session --config-file="$TOP/session.conf" -- sh -c '
      echo -n locked-password |
        gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
      daemon=$!
      for i in $(seq 50); do
        [ -f "$HOME/.local/share/keyrings/login.keyring" ] && break
        sleep 0.1
      done
      kill $daemon
      wait $daemon || true' 2>/dev/null
    if [ ! -f "$HOME/.local/share/keyrings/login.keyring" ]; then
      echo "Bail out! gnome-keyring made no login keyring"
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 none|locked <test> [args]" >&2
    exit 2
    ;;
esac

write_config
dbus-run-session --config-file="$TOP/session.conf" -- "$@"
