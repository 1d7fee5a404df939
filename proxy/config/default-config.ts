/**
 * The configuration `flightbox run` and `flightbox check` use when no `-f` is given: a frontend
 * on 127.0.0.1:8080 that answers `/flightbox` itself (a page on how to look inside) and forwards
 * everything else to backend `demo`, whose server is the demo origin that the supervisor runs on
 * 127.0.0.1:8081 (`demo-origin`, Flightbox-specific), health-checked with `GET /health`, with
 * `option forwardfor`; an admin runtime socket at /tmp/flightbox.sock, the trace ring `buf0` and
 * snapshots under ./snapshots. The ports and the socket path can be moved with the environment
 * variables FLIGHTBOX_PORT, FLIGHTBOX_DEMO_PORT and FLIGHTBOX_SOCKET (`"${VAR-default}"`
 * expansion), e.g. when 8080 is taken. It must parse without any alert or warning (tested).
 */

/** Name used for the embedded configuration in alerts and snapshots. */
export const DEFAULT_CONFIG_NAME = '<embedded>';

/** Environment variables the embedded configuration reads, with their defaults. */
export const DEFAULT_CONFIG_ENV = {
  FLIGHTBOX_PORT: '8080',
  FLIGHTBOX_DEMO_PORT: '8081',
  FLIGHTBOX_SOCKET: '/tmp/flightbox.sock',
} as const;

/** Text of the embedded default configuration (HAProxy's configuration language). */
export const DEFAULT_CONFIG_TEXT = `# Flightbox embedded default configuration.
# Used when flightbox runs without -f. To start your own: save this text to a file,
# edit it, check it with 'flightbox check -f <file>', run it with 'flightbox run -f <file>'.
# The environment variables FLIGHTBOX_PORT, FLIGHTBOX_DEMO_PORT and FLIGHTBOX_SOCKET move
# the proxy's port, the demo origin's port and the runtime socket.

global
    # Runtime socket (HAProxy's CLI): echo help | socat stdio /tmp/flightbox.sock
    stats socket "\${FLIGHTBOX_SOCKET-/tmp/flightbox.sock}" mode 600 level admin
    snapshot-dir ./snapshots
    # Flightbox-specific: the supervisor runs a small demo application here (see backend demo).
    demo-origin "127.0.0.1:\${FLIGHTBOX_DEMO_PORT-8081}"

ring buf0
    description "default flight recorder ring"
    format timed
    size 1m

defaults
    mode http
    timeout client 30s
    timeout http-request 10s
    timeout http-keep-alive 5s
    timeout connect 5s
    timeout server 30s
    option forwardfor

frontend welcome
    bind "127.0.0.1:\${FLIGHTBOX_PORT-8080}" name welcome
    http-request return status 200 content-type "text/plain; charset=utf-8" string "Flightbox is running.\\n\\nThis page comes from the proxy itself (frontend 'welcome' of the embedded default configuration,\\nan 'http-request return' rule for /flightbox). Every other path is forwarded to backend 'demo',\\nwhose server 'demo1' is the demo origin on 127.0.0.1:\${FLIGHTBOX_DEMO_PORT-8081}: try / , /slow?ms=5000,\\n/stream?kb=1024, /status/503, or POST a body to have it echoed.\\n\\nLook inside the running proxy through its runtime socket:\\n    echo help | socat stdio \${FLIGHTBOX_SOCKET-/tmp/flightbox.sock}\\n    echo 'show info' | socat stdio \${FLIGHTBOX_SOCKET-/tmp/flightbox.sock}\\n    echo 'show stat' | socat stdio \${FLIGHTBOX_SOCKET-/tmp/flightbox.sock}\\n    echo 'show sess' | socat stdio \${FLIGHTBOX_SOCKET-/tmp/flightbox.sock}   (during /slow?ms=5000)\\n\\nServe your own configuration:\\n    flightbox check -f flightbox.cfg\\n    flightbox run -f flightbox.cfg\\n" hdr Cache-Control no-store if { path /flightbox }
    default_backend demo

backend demo
    option httpchk GET /health
    server demo1 "127.0.0.1:\${FLIGHTBOX_DEMO_PORT-8081}" check
`;
