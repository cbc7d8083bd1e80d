#!/bin/sh
# The canonical example of fish, end to end: a broker plugin registers for
# orders with a delivery app, offers each order to a fulfilment partner and
# accepts it with the app when the partner answers within 5 seconds.
#
# The app and the partner are played by two other fish sessions
# (examples/app, examples/partner); everything runs on loopback in a
# throw-away FISH_HOME.  Run it through scripts/demo, which builds first.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
FISH_HOME=$(mktemp -d "${TMPDIR:-/tmp}/fish-demo.XXXXXX")
export FISH_HOME
unset FISH_SESSION FISH_PUBLIC_URL

say() { printf '\033[1m[broker]\033[0m %s\n' "$*"; }
[ -t 1 ] && [ -z "${NO_COLOR:-}" ] || say() { printf '[broker] %s\n' "$*"; }

# Stop every session and remove the demo's state, however we leave.
cleanup() {
	for s in default app partner; do
		fish -S "$s" stop --purge 2>/dev/null || true
	done
	rm -rf "$FISH_HOME"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "fish demo: a broker between a delivery app and a fulfilment partner"
echo "(state in $FISH_HOME)"
echo

# The two third parties, each a fish session of its own.
APP=$(fish -S app spawn --name app)
PARTNER=$(fish -S partner spawn --name partner)
"$here/app" "$APP" 3 &
app_pid=$!
"$here/partner" "$PARTNER" &
partner_pid=$!
say "the app listens at $APP"
say "the partner listens at $PARTNER"

# The broker: the canonical example, verbatim but for the narration and a
# short idle timeout so the demo ends once the app has no more orders.
# --echo /challenge: the hook answers the app's verification handshake
# ({"type":"url_verification","challenge":"..."}) by itself.
orders=$(fish spawn --name orders --echo /challenge)
say "registering for region 7 with webhook $orders"
fish send POST "$APP/region" webhook_url="$orders" region_id:=7 >/dev/null
fish wait "$orders" --where /type=url_verification --timeout 10 >/dev/null
say "the app verified the webhook (fish echoed its challenge)"

while order=$(fish wait "$orders" --timeout "${DEMO_IDLE:-3}"); do
    id=$(printf '%s' "$order" | fish field /id)
    say "order $id arrived: $order"
    fulfilment=$(fish spawn)
    fish send POST "$PARTNER/order" callback="$fulfilment" order:="$order" >/dev/null
    if fish wait "$fulfilment" --timeout 5 >/dev/null; then
        say "order $id: the partner accepted; accepting it with the app"
        granted=$(fish spawn)
        fish send POST "$APP/order" callback_url="$granted" \
            order_id="$(printf '%s' "$order" | fish field /id)" >/dev/null
        say "order $id: $(fish wait "$granted" --timeout 30)"
    else
        say "order $id: no answer from the partner within 5 s; skipped"
    fi
done
say "no more orders for ${DEMO_IDLE:-3} s; done"

# Stopping their sessions ends the app's and the partner's waits.
fish -S app stop
fish -S partner stop
wait "$app_pid" "$partner_pid" 2>/dev/null || true
echo
echo "The broker's whole conversation, as fish log shows it:"
fish log
echo
fish status
