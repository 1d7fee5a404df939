/**
 * What a sent packet carried, as far as loss recovery needs it (RFC 9000 §13.3: "retransmission"
 * sends the information again in new frames): one record per retransmittable frame, kept as the
 * payload of the packet in its packet number space (proxy/quic/spaces.ts) and handed back when the
 * packet is acknowledged or declared lost.
 */
import type { Frame } from './frame.types.ts';
import type { SpaceId } from './spaces.ts';

/** One retransmittable frame of a sent packet. */
export type SentRecord =
  | { readonly k: 'crypto'; readonly space: SpaceId; readonly offset: number; readonly length: number }
  | { readonly k: 'stream'; readonly id: number; readonly offset: number; readonly length: number; readonly fin: boolean }
  | { readonly k: 'reset'; readonly id: number }
  | { readonly k: 'stop'; readonly id: number }
  | { readonly k: 'max_data' }
  | { readonly k: 'max_stream_data'; readonly id: number }
  | { readonly k: 'max_streams'; readonly bidi: boolean }
  | { readonly k: 'data_blocked' }
  | { readonly k: 'stream_data_blocked'; readonly id: number }
  | { readonly k: 'streams_blocked'; readonly bidi: boolean }
  | { readonly k: 'handshake_done' }
  /** NEW_CONNECTION_ID of sequence `seq` (RFC 9000 §19.15). */
  | { readonly k: 'new_cid'; readonly seq: number }
  /** RETIRE_CONNECTION_ID of sequence `seq` (RFC 9000 §19.16). */
  | { readonly k: 'retire_cid'; readonly seq: number }
  | { readonly k: 'ping' };

/**
 * Where frames being assembled into a packet go: `room` bytes are left; `add` encodes the frame,
 * and refuses it (false) when it does not fit. `record` is kept with the packet for recovery.
 */
export interface FrameSink {
  readonly room: number;
  add(frame: Frame, record: SentRecord | null): boolean;
}
