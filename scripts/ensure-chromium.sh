#!/usr/bin/env bash
# The report's end-to-end test opens the HTML in headless Chromium: Debian's package at
# /usr/bin/chromium, driven by Python playwright (never `playwright install`, which
# downloads a browser build). This script says what it finds or installs:
#   * /usr/bin/chromium present: nothing to do (no root needed);
#   * absent, running as root with apt-get: installs Debian's `chromium` package
#     (apt-get install chromium, a few hundred MB with its libraries);
#   * absent otherwise: installs nothing; the browser test is skipped with that reason.
set -u
if [ -x /usr/bin/chromium ]; then
  echo "chromium: using /usr/bin/chromium for the report test" >&2
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "chromium: installing Debian's chromium package (apt-get install chromium) for the report test ..." >&2
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1; then
    echo "chromium: installed /usr/bin/chromium" >&2
  else
    echo "chromium: apt-get install chromium failed: the browser test will be skipped" >&2
  fi
else
  echo "chromium: /usr/bin/chromium not found and not root (or no apt-get): installing nothing; the browser test will be skipped (install Debian's chromium package to run it)" >&2
fi
