/**
 * The tunnel through the relay: channels between a viewer's connection and a client's, renumbered on
 * the way through, with the per-hop window enforced and every frame queued towards its peer (peers.ts).
 *
 * The frame format is core's (packages/core/src/frames.ts). A channel's ids differ per connection:
 * several viewers may reach one client (N:1 grouping) and each numbers its own channels, so the relay
 * hands out the client's ids and rewrites each frame's id in place. What breaks the tunnel's rules is
 * returned as a `Violation`; the connection (connection.ts) reports it and closes.
 */
import {
  CHANNEL_WINDOW,
  decodeFrame,
  decodeWindowUpdate,
  freeChannelId,
  renumberFrame,
  WINDOW_CHANNEL,
  windowOverrun,
} from "@tsunagi/core/frames";
import { type Database, loggableError, setSessionPeer } from "@tsunagi/db";
import type { Log } from "./log.js";
import type { Peer, Peers } from "./peers.js";

/** A peer broke the tunnel's rules: the protocol error the relay answers with before closing. */
export interface Violation {
  readonly code: "malformed" | "oversize";
  readonly detail: string;
}

const malformed = (detail: string): Violation => ({ code: "malformed", detail });

export interface TunnelDeps {
  readonly peers: Peers;
  readonly db: Database;
  readonly log: Log;
  readonly maxBinaryFrameBytes: number;
  readonly maxChannelsPerSession: number;
}

export class Tunnel {
  constructor(private readonly deps: TunnelDeps) {}

  /** A binary frame from an authenticated peer: data (or its end) for a channel, or a window update. */
  onBinary(from: Peer, buf: Buffer): Violation | undefined {
    const frame = decodeFrame(buf);
    if (!frame) return malformed("binary frame shorter than its 4-byte channel id");
    const max = this.deps.maxBinaryFrameBytes;
    if (buf.length > max) return { code: "oversize", detail: `binary frames are at most ${max} bytes` };
    if (frame.channelId === WINDOW_CHANNEL) return this.onWindowUpdate(from, buf, frame.payload);
    const end = from.channels.get(frame.channelId);
    if (!end) return undefined;
    // The receiver enforces the window it granted (per hop): a sender past it ignores flow control,
    // and forwarding would only move the unbounded queue to the far agent.
    end.inFlight += frame.payload.length;
    const overrun = windowOverrun(frame.channelId, end.inFlight, CHANNEL_WINDOW);
    if (overrun) return malformed(overrun);
    renumberFrame(buf, end.id);
    this.deps.peers.send(from, end.peer, buf, true);
    return undefined;
  }

  private onWindowUpdate(from: Peer, buf: Buffer, payload: Buffer): Violation | undefined {
    const update = decodeWindowUpdate(payload);
    if (!update) return malformed("window update must be 12 bytes");
    const end = from.channels.get(update.channelId);
    if (!end) return undefined; // the channel closed while the update was in flight
    // The credit is for the other direction: what the far side sent on this channel.
    const sender = end.peer.channels.get(end.id);
    if (sender) {
      if (update.bytes > sender.inFlight) {
        return malformed(
          `window update for channel ${update.channelId} grants ${update.bytes} bytes, but ${sender.inFlight} are in flight`,
        );
      }
      sender.inFlight -= update.bytes;
    }
    renumberFrame(buf, end.id);
    this.deps.peers.send(from, end.peer, buf, true);
    return undefined;
  }

  /** A viewer's `open`: a channel to its target client, or a `close` back saying why not. */
  onOpen(viewer: Peer, channelId: number): Violation | undefined {
    const { peers, maxChannelsPerSession: max } = this.deps;
    if (viewer.role !== "viewer") return malformed("only a viewer opens channels");
    if (channelId === WINDOW_CHANNEL || viewer.channels.has(channelId)) {
      return malformed(`channel ${channelId} is reserved or already open`);
    }
    // A refusal is a reply to the viewer's own request: sent with the viewer as the sender, so one
    // that floods opens and reads no answers is paused rather than queued for without bound.
    const refuse = (reason: string) => {
      peers.sendControl(viewer, { type: "close", channelId, reason }, viewer);
      return undefined;
    };
    if (viewer.channels.size >= max) return refuse(`at most ${max} channels may be open at once`);
    const client = peers.client(viewer.serverHost, viewer.target);
    if (!viewer.reachable.has(viewer.target)) {
      return refuse(`client ${viewer.target} is not reachable from this viewer`);
    }
    if (!client) return refuse(`client ${viewer.target} is not connected`);
    if (client.channels.size >= max) return refuse(`client ${viewer.target} has ${max} channels open`);
    const clientChannel = freeChannelId(client.channels, client.nextChannelId);
    client.nextChannelId = clientChannel + 1;
    viewer.channels.set(channelId, { peer: client, id: clientChannel, inFlight: 0 });
    client.channels.set(clientChannel, { peer: viewer, id: channelId, inFlight: 0 });
    // The viewer's own traffic: one that opens and closes channels to a client that doesn't read is paused.
    peers.sendControl(client, { type: "open", channelId: clientChannel }, viewer);
    if (!client.recordedViewers.has(viewer.userName)) {
      // Extended display: the client's history row names the viewer that reached it.
      client.recordedViewers.add(viewer.userName);
      setSessionPeer(this.deps.db, client.sessionId, viewer.userName).catch((error) =>
        this.deps.log({ event: "database-error", during: "set-peer", error: loggableError(error) }),
      );
    }
    return undefined;
  }

  /** Either end's `close`: the channel goes at both ends, and the far end is told. */
  onClose(from: Peer, channelId: number, reason: string | undefined): void {
    const end = from.channels.get(channelId);
    if (!end) return; // both ends may close at once; the second close finds nothing
    from.channels.delete(channelId);
    end.peer.channels.delete(end.id);
    this.deps.peers.sendControl(
      end.peer,
      { type: "close", channelId: end.id, ...(reason ? { reason } : {}) },
      from,
    );
  }
}
