#!/usr/bin/env bash
# Install Debian's headless Chromium for the report's end-to-end test, where we can.
# Without it (not root, no apt), the browser test is skipped with a reason.
set -u
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
    && echo "installed chromium for the report test" >&2
else
  echo "chromium not found and cannot install it: the browser test will be skipped" >&2
fi
