#!/bin/sh
# Installs everything Certbench needs to build, run and test on Debian 12.
# Safe to run every time: when everything is present it takes a few seconds.
# libgl1-mesa-dri and libegl1 give GTK's default GL renderer (llvmpipe) under Xvfb: the
# display tests run with it, as users do.
set -eu

PACKAGES="build-essential pkg-config meson ninja-build gettext libxml2-utils
  libgtk-4-dev libadwaita-1-dev libsoup-3.0-dev libjson-glib-dev libsecret-1-dev
  libgnutls28-dev gnutls-bin libsqlite3-dev libgudev-1.0-dev libcbor-dev libmosquitto-dev
  libglib2.0-dev-bin libglib2.0-bin glib-networking desktop-file-utils appstream appstream-util
  xvfb xauth dbus dbus-x11 gnome-keyring at-spi2-core libgl1-mesa-dri libegl1
  python3-pyatspi gir1.2-atspi-2.0 python3-dogtail python3-serial
  imagemagick socat mosquitto mosquitto-clients openssl curl ca-certificates locales
  flatpak-builder groff-base iproute2 util-linux"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  echo "setup: installing:$missing" >&2
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing >&2
fi

# The German translation test needs a real de_DE.UTF-8 locale.
if ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf8$'; then
  $SUDO sed -i 's/^# *de_DE.UTF-8 UTF-8/de_DE.UTF-8 UTF-8/' /etc/locale.gen
  $SUDO locale-gen >&2
fi
