/**
 * The configuration `flightbox run` and `flightbox check` use when no `-f` is given: a frontend
 * on 127.0.0.1:8080 answering a short page about Flightbox, an admin runtime socket at
 * /tmp/flightbox.sock, the trace ring `buf0` and snapshots under ./snapshots. It must parse
 * without any alert or warning (tested).
 */

/** Name used for the embedded configuration in alerts and snapshots. */
export const DEFAULT_CONFIG_NAME = '<embedded>';

/** Text of the embedded default configuration (HAProxy's configuration language). */
export const DEFAULT_CONFIG_TEXT = `# Flightbox embedded default configuration.
# Used when flightbox runs without -f. To start your own: save this text to a file,
# edit it, check it with 'flightbox check -f <file>', run it with 'flightbox run -f <file>'.

global
    # Runtime socket (HAProxy's CLI): echo help | socat stdio /tmp/flightbox.sock
    stats socket /tmp/flightbox.sock mode 600 level admin
    snapshot-dir ./snapshots

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

frontend welcome
    bind 127.0.0.1:8080 name welcome
    http-request return status 200 content-type "text/plain; charset=utf-8" string "Flightbox is running.\\n\\nThis page comes from the embedded default configuration (frontend 'welcome' on 127.0.0.1:8080).\\n\\nLook inside the running proxy through its runtime socket:\\n    echo help | socat stdio /tmp/flightbox.sock\\n    echo 'show info' | socat stdio /tmp/flightbox.sock\\n\\nServe your own configuration:\\n    flightbox check -f flightbox.cfg\\n    flightbox run -f flightbox.cfg\\n" hdr Cache-Control no-store
`;
