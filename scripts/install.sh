#!/usr/bin/env bash
# Installs station-agent as a hardened systemd service on a Debian station PC.
#
#   sudo scripts/install.sh                  install or upgrade (config and data are kept); the service
#                                            is started once station.yaml is no longer the example
#   sudo scripts/install.sh --start          ... and start it even with the example config as it is
#   sudo scripts/install.sh --uninstall      remove the service and program (config and data are kept)
#   scripts/install.sh --prefix /tmp/root    install into a staging root (tests, packaging):
#                                            no user is created, no systemctl is run, no chown;
#                                            what would be done is printed instead
#
# Run it from a built checkout (`npm ci` builds dist/). Paths written into the installed files
# (unit, wrapper) are always the final ones (/opt/..., /etc/...), never the prefix: a prefixed
# tree is what a package would put on the target, like DESTDIR.
set -euo pipefail

SERVICE=station-agent
USER_NAME=station-agent
APP_DIR=/opt/station-agent
CONF_DIR=/etc/station-agent
DATA_DIR=/var/lib/station-agent
BIN=/usr/local/bin/station-agent
UNIT=/etc/systemd/system/station-agent.service
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

PREFIX=/
UNINSTALL=0
START=0

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix)
      [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }
      PREFIX="$2"
      shift 2
      ;;
    --prefix=*) PREFIX="${1#--prefix=}"; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --start) START=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done

# A real install (prefix /) manages users, ownership and systemd; a staged one only writes files.
REAL=0
if [ "$(cd "$PREFIX" 2>/dev/null && pwd -P || echo "$PREFIX")" = / ]; then REAL=1; fi
P="${PREFIX%/}"

say() { printf 'station-agent install: %s\n' "$*"; }
# Commands that need root and a real system: run them, or say what would run.
sys() {
  if [ "$REAL" = 1 ]; then "$@"; else say "would run: $*"; fi
}

if [ "$REAL" = 1 ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo $0 $*), or use --prefix DIR to stage the files" >&2
  exit 1
fi

have_systemd() { [ "$REAL" = 1 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }

uninstall() {
  if have_systemd; then
    systemctl disable --now "$SERVICE.service" 2>/dev/null || true
  else
    say "would run: systemctl disable --now $SERVICE.service"
  fi
  rm -f "$P$UNIT" "$P$BIN"
  rm -rf "$P$APP_DIR" "$P$APP_DIR.new" "$P$APP_DIR.old"
  if have_systemd; then systemctl daemon-reload; else say "would run: systemctl daemon-reload"; fi
  say "removed the service and $APP_DIR; kept $CONF_DIR, $DATA_DIR and the user $USER_NAME"
  say "to remove them too: userdel $USER_NAME && rm -rf $CONF_DIR $DATA_DIR"
}

if [ "$UNINSTALL" = 1 ]; then
  uninstall
  exit 0
fi

# --- preconditions: a built package and a Node.js the service can reach --------------------------
if [ ! -f "$SRC/dist/agent/cli/main.js" ]; then
  echo "install.sh: $SRC/dist is not built: run 'npm ci' (or 'npm run build') first" >&2
  exit 1
fi
if [ ! -d "$SRC/node_modules" ]; then
  echo "install.sh: $SRC/node_modules is missing: run 'npm ci' first" >&2
  exit 1
fi
NODE_BIN="$(command -v node || true)"
if [ -z "$NODE_BIN" ]; then
  echo "install.sh: node is not on PATH (Node.js 20 or later is needed)" >&2
  exit 1
fi
NODE_BIN="$(readlink -f "$NODE_BIN")"
case "$NODE_BIN" in
  # ProtectHome=yes hides these from the service: an nvm-installed node would fail at start.
  /home/* | /root/*)
    say "warning: node is $NODE_BIN, under a home directory the service cannot see (ProtectHome=yes);"
    say "         install Node.js system-wide (e.g. the Debian or NodeSource package) and re-run"
    ;;
esac

# The agent's node flags (docs/performance.md, workloads 6 and 4; the benchmark reads them from here):
# --max-semi-space-size=2 (MB): V8 otherwise grows the young generation to 16 MB semi-spaces while the
#   modules load and keeps them; the agent allocates little afterwards: ~15 MB of RSS for no measurable CPU.
# --v8-pool-size=1: one V8 helper thread instead of four; each kept its own malloc arena (~10 MB of RSS).
# --heap-growing-percent=50: after a full GC the old generation may grow to 1.5x what survived, instead
#   of V8's up to 4x, so a backlog drain (~24 MB live, hundreds of MB/s of garbage) stays near 110 MB
#   RSS instead of 170-260 MB. A soft bound, not a cap: the heaviest start (a 2-day aggregate catch-up,
#   ~90 MB live) still grows as it needs, where --max-old-space-size would end in an out-of-memory restart.
NODE_FLAGS="--max-semi-space-size=2 --v8-pool-size=1 --heap-growing-percent=50"
# A V8 flag this node does not know stops it at every start ("bad option"): refuse now instead.
if ! "$NODE_BIN" $NODE_FLAGS -e '' >/dev/null 2>&1; then
  echo "install.sh: $NODE_BIN does not accept the agent's node flags ($NODE_FLAGS): Node.js 20 is needed" >&2
  exit 1
fi

# --- user --------------------------------------------------------------------------------------
# A system user without a login shell; dialout gives it the serial ports (/dev/ttyUSB*, ttyS*).
if [ "$REAL" = 1 ]; then
  if ! id "$USER_NAME" >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home \
      --shell /usr/sbin/nologin --comment "station-agent service" "$USER_NAME"
    say "created system user $USER_NAME"
  fi
  getent group dialout >/dev/null || groupadd --system dialout
  usermod -a -G dialout "$USER_NAME"
else
  say "would run: useradd --system --user-group --home-dir $DATA_DIR --no-create-home --shell /usr/sbin/nologin $USER_NAME"
  say "would run: usermod -a -G dialout $USER_NAME"
fi

# --- program: staged beside the old one, then swapped, so a failed copy leaves the old one intact --
mkdir -p "$P/opt" "$P/usr/local/bin" "$P/etc/systemd/system"
STAGE="$P$APP_DIR.new"
rm -rf "$STAGE"
mkdir -p "$STAGE/drivers"
cp -a "$SRC/dist" "$SRC/package.json" "$SRC/config" "$STAGE/"
[ -f "$SRC/package-lock.json" ] && cp -a "$SRC/package-lock.json" "$STAGE/"
[ -f "$SRC/README.md" ] && cp -a "$SRC/README.md" "$STAGE/"
cp -a "$SRC/drivers/profiles" "$STAGE/drivers/"
# The checkout's node_modules holds the native modules built for this machine (better-sqlite3,
# serialport); copying and pruning the dev tools works offline, unlike a fresh `npm ci`. Its contents
# are copied (/.): a checkout whose node_modules is a link to a shared folder must not have that
# folder pruned through the link.
cp -a "$SRC/node_modules/." "$STAGE/node_modules"
if command -v npm >/dev/null && (cd "$STAGE" && npm prune --omit=dev --ignore-scripts --no-audit \
  --no-fund --offline >/dev/null 2>&1); then
  :
else
  say "warning: 'npm prune --omit=dev' failed in $APP_DIR: the dev dependencies stay installed (harmless)"
fi
chmod -R u=rwX,go=rX "$STAGE"
if [ -d "$P$APP_DIR" ]; then
  rm -rf "$P$APP_DIR.old"
  mv "$P$APP_DIR" "$P$APP_DIR.old"
fi
mv "$STAGE" "$P$APP_DIR"
rm -rf "$P$APP_DIR.old"

# The wrapper names node by absolute path: the service's PATH is systemd's default, not the shell's.
cat >"$P$BIN.tmp" <<EOF
#!/bin/sh
# Installed by station-agent scripts/install.sh
exec "$NODE_BIN" $NODE_FLAGS "$APP_DIR/dist/agent/cli/main.js" "\$@"
EOF
chmod 0755 "$P$BIN.tmp"
mv "$P$BIN.tmp" "$P$BIN"

# --- configuration: never overwritten, an upgrade keeps the station's own file ------------------
mkdir -p "$P$CONF_DIR"
chmod 0755 "$P$CONF_DIR"
# The example stores under ./data, which the hardened service cannot write: point it at DATA_DIR.
example_config() {
  awk -v path="$DATA_DIR/agent.db" '
    /^storage:/ { in_storage = 1; print; next }
    /^[^[:space:]#]/ { in_storage = 0 }
    in_storage && !done && /^[[:space:]]+path:/ { sub(/path:.*/, "path: " path); done = 1 }
    { print }
  ' "$SRC/config/examples/water-station.yaml"
}
sha256_of() { sha256sum | cut -d' ' -f1; }
# The example's devices and uplinks are placeholders: a service started on them would poll a gateway
# that is not there and send to a broker that is not the platform's. So the hash of the file as
# written is kept beside it, and the service is started only once the file differs from it (or from
# today's example, for a file an older install.sh wrote without the hash) or with --start.
EXAMPLE_HASH="$CONF_DIR/station.yaml.example.sha256"
config_is_example() {
  local now recorded=''
  now="$(sha256_of <"$P$CONF_DIR/station.yaml")"
  [ -f "$P$EXAMPLE_HASH" ] && recorded="$(cut -d' ' -f1 <"$P$EXAMPLE_HASH")"
  [ "$now" = "$recorded" ] || [ "$now" = "$(example_config | sha256_of)" ]
}
if [ ! -e "$P$CONF_DIR/station.yaml" ]; then
  example_config >"$P$CONF_DIR/station.yaml.tmp"
  if ! grep -q "^  path: $DATA_DIR/agent.db\$" "$P$CONF_DIR/station.yaml.tmp"; then
    rm -f "$P$CONF_DIR/station.yaml.tmp"
    echo "install.sh: could not set storage.path in the example configuration" >&2
    exit 1
  fi
  printf '%s  station.yaml\n' "$(sha256_of <"$P$CONF_DIR/station.yaml.tmp")" >"$P$EXAMPLE_HASH"
  chmod 0644 "$P$EXAMPLE_HASH"
  mv "$P$CONF_DIR/station.yaml.tmp" "$P$CONF_DIR/station.yaml"
  say "wrote $CONF_DIR/station.yaml from the water-station example"
else
  say "kept the existing $CONF_DIR/station.yaml"
fi
if [ ! -e "$P$CONF_DIR/env" ]; then
  cat >"$P$CONF_DIR/env" <<'EOF'
# Secrets for station-agent, read by systemd (EnvironmentFile) and used in station.yaml as ${NAME}.
# Readable by root only. Example:
# MQTT_PASSWORD=change-me
EOF
fi
# The agent reads its config but must not change it; env is read by systemd as root only.
chmod 0640 "$P$CONF_DIR/station.yaml"
chmod 0600 "$P$CONF_DIR/env"
sys chown root:"$USER_NAME" "$CONF_DIR/station.yaml"
sys chown root:root "$CONF_DIR/env"

# --- data ----------------------------------------------------------------------------------------
mkdir -p "$P$DATA_DIR"
chmod 0750 "$P$DATA_DIR"
sys chown "$USER_NAME:$USER_NAME" "$DATA_DIR"

# --- systemd unit --------------------------------------------------------------------------------
cat >"$P$UNIT.tmp" <<EOF
# Installed by station-agent scripts/install.sh; re-running the script rewrites this file.
# Local changes belong in a drop-in: systemctl edit $SERVICE
[Unit]
Description=station-agent: environmental monitoring station data agent
Documentation=file://$APP_DIR/README.md
Wants=network-online.target
After=network-online.target

[Service]
# Readiness and watchdog, the documented equivalent of Type=notify + WatchdogSec: those need
# sd_notify, which Node cannot send without a native addon. So Type=simple (systemd counts the agent
# as started once it runs) and the agent logs "station agent ready" to the journal once its store is
# open and every bus started. Its self-watchdog (watchdog: in station.yaml) exits with code 70 when
# the event loop or acquisition stalls, and Restart=on-failure restarts it after RestartSec.
# systemd's default start limits are kept (DefaultStartLimitIntervalSec=10s, DefaultStartLimitBurst=5):
# with RestartSec=5 they are not reached, so every watchdog exit or crash is restarted; only a quicker
# loop (e.g. a drop-in lowering RestartSec) would leave the unit failed.
Type=simple
User=$USER_NAME
Group=$USER_NAME
# Serial ports (RS-485/RS-232 adapters) belong to the dialout group.
SupplementaryGroups=dialout
EnvironmentFile=-$CONF_DIR/env
WorkingDirectory=$DATA_DIR
ExecStart=$BIN run --config $CONF_DIR/station.yaml
# systemctl reload: the agent re-reads its config on SIGHUP without stopping acquisition.
ExecReload=/bin/kill -HUP \$MAINPID
Restart=on-failure
RestartSec=5
# The agent commits and closes MQTT within 5 s of SIGTERM; after 10 s systemd kills it.
TimeoutStopSec=10
UMask=0027

# Hardening (systemd-analyze security station-agent rates it about 1.7 OK; the install test keeps it
# at or under 2.0). The agent reads its config, writes only its data folder, talks TCP (MQTT, HJ 212,
# Modbus TCP, the status page) and opens serial ports; everything else is taken away.
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateMounts=yes
ReadWritePaths=$DATA_DIR
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
# The clock is not the agent's to set: HJ 212's applyTimeSet (CN 1012, off by default) needs a drop-in
# with ProtectClock=no, AmbientCapabilities=CAP_SYS_TIME, CapabilityBoundingSet=CAP_SYS_TIME and
# SystemCallFilter=@clock (docs/hj212.md).
ProtectClock=yes
ProtectHostname=yes
# Only the agent's own processes in /proc.
ProtectProc=invisible
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
# Devices: PrivateDevices= would hide the serial ports, so the device cgroup allows only the
# standard pseudo devices (DevicePolicy=closed) and the serial port drivers: on-board and PCI UARTs
# (ttyS), USB adapters (ttyUSB: FTDI, CH340, PL2303, CP210x) and CDC-ACM (ttyACM). The nodes stay
# visible, so /dev/serial/by-id/* links resolve; access also needs the dialout group (above). Other
# drivers (e.g. ttyAMA, ttyXR, a socat pty as char-pts) go in a drop-in: DeviceAllow=char-ttyAMA rw
DevicePolicy=closed
DeviceAllow=char-ttyS rw
DeviceAllow=char-ttyUSB rw
DeviceAllow=char-ttyACM rw
# IPv4/IPv6 for the uplinks, Modbus TCP and the status page. Resolving a host name (a broker, a
# platform, a gateway) takes the other two: glibc's getaddrinfo asks the kernel over AF_NETLINK which
# address families the host has (without it, it assumes both, and on an IPv4-only line would offer
# IPv6 addresses first), and tries nscd over AF_UNIX. "station-agent ports" (serialport's
# listing runs "udevadm info -e", which reads udev's database files) is run by hand, outside the service.
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
SystemCallArchitectures=native
# What a system service needs, less privileged and resource-changing calls. A call outside the list
# fails with EPERM instead of killing the process: Node treats it as any failed call (e.g. it tries to
# raise its open-file limit with setrlimit at start and carries on without).
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
# MemoryDenyWriteExecute=yes must stay off: Node's JIT (V8) writes machine code into memory it then
# executes, and the agent would die at start.

[Install]
WantedBy=multi-user.target
EOF
chmod 0644 "$P$UNIT.tmp"
mv "$P$UNIT.tmp" "$P$UNIT"

# --- validate, then start only a configured station ---------------------------------------------
# With the secrets of the env file, as the service will see them (KEY=value lines, taken literally).
validate_config() {
  (
    while IFS= read -r line || [ -n "$line" ]; do
      key="${line%%=*}"
      [ "$key" != "$line" ] && [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && export "$key=${line#*=}"
    done <"$P$CONF_DIR/env"
    "$NODE_BIN" "$P$APP_DIR/dist/agent/cli/main.js" validate --config "$P$CONF_DIR/station.yaml"
  )
}
VALID=1
validate_config || VALID=0

next_steps() {
  say "next steps:"
  say "  1. edit $CONF_DIR/station.yaml (buses, devices, uplinks) and $CONF_DIR/env (secrets)"
  say "  2. sudo station-agent validate --config $CONF_DIR/station.yaml"
  say "  3. sudo systemctl enable --now $SERVICE"
}

if [ "$REAL" = 1 ] && ! have_systemd; then
  say "installed; systemd is not running here: start it with $BIN run --config $CONF_DIR/station.yaml"
  [ "$VALID" = 1 ] || exit 2
  exit 0
fi
was_active=0
have_systemd && systemctl is-active --quiet "$SERVICE.service" && was_active=1
sys systemctl daemon-reload
if [ "$VALID" = 0 ]; then
  say "$CONF_DIR/station.yaml has the problems listed above: the service was not (re)started"
  next_steps
  exit 2
fi
if [ "$START" = 1 ] || ! config_is_example; then
  sys systemctl enable --now "$SERVICE.service"
  # enable --now leaves a running old version running: an upgrade restarts it onto the new code.
  if [ "$was_active" = 1 ]; then sys systemctl restart "$SERVICE.service"; fi
  [ "$REAL" = 0 ] || say "installed and started; status: systemctl status $SERVICE   logs: journalctl -u $SERVICE -f"
else
  # Started by hand (or by an older install.sh) on the example: keep it running, on the new code.
  if [ "$was_active" = 1 ]; then sys systemctl restart "$SERVICE.service"; fi
  say "installed, not started: $CONF_DIR/station.yaml is still the example, its devices and uplinks are placeholders"
  next_steps
  say "  (or start it on the example as it is: sudo scripts/install.sh --start)"
fi
[ "$REAL" = 1 ] || say "staged into $PREFIX"
