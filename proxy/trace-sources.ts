/**
 * Every trace source of the proxy, in one place. The supervisor imports this module so that the
 * `traces` section and `trace` commands know every source (and its events) before any worker has
 * started; a subsystem that declares a new source adds its catalog module here.
 */
import '../diag/lifecycle.ts'; // conn, stream, objects
import './h1/trace.ts'; // h1
import './stream/trace.ts'; // be
import './checks/trace.ts'; // check
import './tls/trace.ts'; // ssl
import './peers/trace.ts'; // peers
import './stick/trace.ts'; // stktable
import './qpack/trace.ts'; // qpack
import './tls13/trace.ts'; // tls13
import './quic/trace.ts'; // quic
import './h3/trace.ts'; // h3
