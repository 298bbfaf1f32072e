/**
 * The tunnel through the relay: channels between a viewer's connection and a client's, renumbered on
 * the way through, with the per-hop window enforced and every frame queued towards its peer (peers.ts).
 *
 * The frame format is core's (packages/core/src/frames.ts). A channel's ids differ per connection:
 * several viewers may reach one client (N:1 grouping) and each numbers its own channels, so the relay
 * hands out the client's ids and rewrites each frame's id in place. What breaks the tunnel's rules is
 * returned as a `Violation`; the connection (connection.ts) reports it and closes.
 *
 * In a fleet, a viewer's client may be held by another relay: the channel then runs over the link
 * between the two relays (link.ts), which is one more hop with its own channel ids and windows, and
 * the far relay pairs the link's channel with its client as it would a viewer's.
 *
 * A channel whose viewer asked for a data connection, where both ends can use them, is spliced
 * instead (data.ts): its ends here carry the splice and no frames, only its `open` (with the tokens)
 * and `close`; across relays the far relay's `answer` on the link brings the token (link-data.ts).
 */

import type { Socket } from "node:net";
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
import type { DataPath } from "./data.js";
import type { Log } from "./log.js";
import type { RelayMetrics } from "./metrics.js";
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
  /** Bytes relayed (metrics.ts). */
  readonly metrics?: Pick<RelayMetrics, "relayed">;
  /** Spliced data connections (data.ts); without it every channel is multiplexed. */
  readonly data?: DataPath;
}

/** What finding a viewer's client on another relay gave: the link to that relay, or why not. */
export type Located = { readonly link: Peer } | { readonly refuse: string };

/** The fleet's side of the tunnel (link.ts): finds the relay holding a viewer's client and links to it. */
export interface RemoteClients {
  locate(viewer: Peer): Promise<Located>;
  /**
   * A data connection to the relay at the other end of `link`, presenting the token it gave
   * (link-data.ts); for a sealed channel, in clear where that relay takes it.
   */
  dialData(link: Peer, token: string, sealed?: boolean): Promise<Socket>;
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
    if (!end) return this.onPendingBinary(from, frame.channelId, buf, frame.payload.length);
    if (end.splice)
      return malformed(`channel ${frame.channelId} is spliced: its data goes on its data connection`);
    // The receiver enforces the window it granted (per hop): a sender past it ignores flow control,
    // and forwarding would only move the unbounded queue to the far agent.
    end.inFlight += frame.payload.length;
    const overrun = windowOverrun(frame.channelId, end.inFlight, CHANNEL_WINDOW);
    if (overrun) return malformed(overrun);
    renumberFrame(buf, end.id);
    this.deps.peers.send(from, end.peer, buf, true);
    this.deps.metrics?.relayed(frame.payload.length);
    return undefined;
  }

  /** Data for a channel still being linked waits with it, within the window; for no channel it is dropped. */
  private onPendingBinary(from: Peer, channelId: number, buf: Buffer, bytes: number): Violation | undefined {
    const pending = from.pending.get(channelId);
    if (!pending || pending.closed) return undefined;
    pending.inFlight += bytes;
    const overrun = windowOverrun(channelId, pending.inFlight, CHANNEL_WINDOW);
    if (overrun) return malformed(overrun);
    // The socket's buffer may be reused for the next read: keep a copy.
    pending.frames.push(Buffer.from(buf));
    this.deps.metrics?.relayed(bytes);
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

  /** A viewer's `open`: a channel to its target client, here or on another relay, or a `close` back saying why not. */
  onOpen(viewer: Peer, channelId: number, data = false): Violation | undefined {
    const { peers, maxChannelsPerSession: max } = this.deps;
    if (viewer.role !== "viewer") return malformed("only a viewer opens channels");
    if (channelId === WINDOW_CHANNEL || viewer.channels.has(channelId) || viewer.pending.has(channelId)) {
      return malformed(`channel ${channelId} is reserved or already open`);
    }
    // A refusal is a reply to the viewer's own request: sent with the viewer as the sender, so one
    // that floods opens and reads no answers is paused rather than queued for without bound.
    const refuse = (reason: string) => {
      peers.sendControl(viewer, { type: "close", channelId, reason }, viewer);
      return undefined;
    };
    if (viewer.channels.size + viewer.pending.size >= max) {
      return refuse(`at most ${max} channels may be open at once`);
    }
    if (!viewer.reachable.has(viewer.target)) {
      return refuse(`client ${viewer.target} is not reachable from this viewer`);
    }
    const client = peers.client(viewer.serverHost, viewer.target);
    if (client) {
      this.pair(viewer, channelId, client, viewer.userName, data);
      return undefined;
    }
    const remote = this.remote;
    if (!remote) return refuse(`client ${viewer.target} is not connected`);
    // The client may be held by another relay of the fleet: frames the viewer sends meanwhile wait
    // here, counted against the channel's window, and go out in order once the link is there.
    viewer.pending.set(channelId, { frames: [], inFlight: 0, closed: false, data });
    void remote
      .locate(viewer)
      .catch(() => ({ refuse: `client ${viewer.target} is not reachable now` }))
      .then((found) => this.linked(viewer, channelId, found));
    return undefined;
  }

  /** Where viewers' channels go when their client is not on this relay (link.ts); none: refused. */
  remote: RemoteClients | undefined;

  /**
   * Joins `from`'s channel `fromId` (a viewer's, or a link's on behalf of a viewer on another relay)
   * to a new channel of `client`, or answers `close` when the client has no channel to spare.
   */
  private pair(
    from: Peer,
    fromId: number,
    client: Peer,
    viewerName: string,
    data = false,
    sealAsked = false,
  ): void {
    const { peers, maxChannelsPerSession: max } = this.deps;
    if (client.channels.size >= max) {
      peers.sendControl(
        from,
        { type: "close", channelId: fromId, reason: `client ${client.userName} has ${max} channels open` },
        from,
      );
      return;
    }
    const clientChannel = freeChannelId(client.channels, client.nextChannelId);
    client.nextChannelId = clientChannel + 1;
    // Spliced when the viewer asked and both sessions have parked data connections (data.ts).
    const dataPath = this.deps.data;
    const spliced =
      data && from.role !== "client" && dataPath?.usable(from) && dataPath.usable(client)
        ? dataPath.splice(from, fromId, client, clientChannel, { asked: sealAsked })
        : undefined;
    const key = spliced?.key ? { key: spliced.key } : {};
    const splice = spliced?.handle;
    from.channels.set(fromId, {
      peer: client,
      id: clientChannel,
      inFlight: 0,
      ...(splice ? { splice } : {}),
    });
    client.channels.set(clientChannel, {
      peer: from,
      id: fromId,
      inFlight: 0,
      ...(splice ? { splice } : {}),
    });
    // The viewer's answer goes before the client hears of the channel: on the multiplexed path the
    // viewer has attached its socket before the client's first frame can reach it.
    if (data) {
      // A link's answer names the token its relay presents on the data connection it dials to us.
      peers.sendControl(
        from,
        {
          type: from.role === "link" ? "answer" : "open",
          channelId: fromId,
          ...(spliced ? { token: spliced.viewer, ...key } : {}),
        },
        from,
      );
    }
    // The opener's own traffic: one that opens and closes channels to a client that doesn't read is paused.
    peers.sendControl(
      client,
      { type: "open", channelId: clientChannel, ...(spliced ? { token: spliced.client, ...key } : {}) },
      from,
    );
    if (!client.recordedViewers.has(viewerName)) {
      // Extended display: the client's history row names the viewer that reached it.
      client.recordedViewers.add(viewerName);
      setSessionPeer(this.deps.db, client.sessionId, viewerName).catch((error) =>
        this.deps.log({ event: "database-error", during: "set-peer", error: loggableError(error) }),
      );
    }
  }

  /**
   * A link's `open` (link.ts): a viewer on the relay at the other end reaches `target`, a client of
   * this relay. The other relay checked that the viewer may reach it.
   */
  onLinkOpen(
    link: Peer,
    channelId: number,
    open: {
      readonly server: string;
      readonly target: string;
      readonly viewer: string;
      readonly data?: boolean | undefined;
      readonly seal?: boolean | undefined;
    },
  ): Violation | undefined {
    if (channelId === WINDOW_CHANNEL || link.channels.has(channelId)) {
      return malformed(`link channel ${channelId} is reserved or already open`);
    }
    const client = this.deps.peers.client(open.server, open.target);
    if (!client) {
      this.deps.peers.sendControl(
        link,
        { type: "close", channelId, reason: `client ${open.target} is not connected` },
        link,
      );
      return undefined;
    }
    this.pair(link, channelId, client, open.viewer, open.data === true, open.seal === true);
    return undefined;
  }

  /**
   * The far relay's answer to a link `open` that asked for a data connection: with its token, the
   * viewer's channel is spliced here to a data connection dialled to that relay, which splices it to
   * its client's; without, the channel is multiplexed over the link. The viewer hears which now, with
   * the channel's key when the far relay sealed it.
   */
  onLinkAnswer(
    link: Peer,
    linkChannel: number,
    token: string | undefined,
    key: string | undefined,
  ): Violation | undefined {
    const { peers } = this.deps;
    const end = link.channels.get(linkChannel);
    if (!end) return undefined; // closed meanwhile
    const viewer = end.peer;
    const viewerEnd = viewer.channels.get(end.id);
    if (end.splice || !viewerEnd) return malformed(`link channel ${linkChannel} was answered twice`);
    const dataPath = this.deps.data;
    const remote = this.remote;
    if (!token || !dataPath || !remote) {
      peers.sendControl(viewer, { type: "open", channelId: end.id }, viewer);
      return undefined;
    }
    if (dataPath.sealed && !key) {
      // We asked for a sealed channel (our viewers' data connections may be plain TCP): one the far
      // relay did not seal must not be spliced to them.
      const reason = "the client's relay did not seal the channel";
      peers.sendControl(link, { type: "close", channelId: linkChannel, reason }, link);
      this.onClose(link, linkChannel, reason);
      return undefined;
    }
    const spliced = dataPath.splice(viewer, end.id, link, linkChannel, key ? { key } : {});
    viewer.channels.set(end.id, { ...viewerEnd, splice: spliced.handle });
    link.channels.set(linkChannel, { ...end, splice: spliced.handle });
    peers.sendControl(
      viewer,
      { type: "open", channelId: end.id, token: spliced.viewer, ...(key ? { key } : {}) },
      viewer,
    );
    remote.dialData(link, token, key !== undefined).then(
      (socket) => spliced.handle.attach("client", socket),
      () => spliced.handle.end("the data connection to the client's relay failed"),
    );
    return undefined;
  }

  /** The far relay was found (or not) for a viewer's pending channel: open it over the link, or refuse. */
  private linked(viewer: Peer, channelId: number, found: Located): void {
    const { peers } = this.deps;
    const pending = viewer.pending.get(channelId);
    // The viewer went away meanwhile (its pending channels were dropped with it).
    if (!pending) return;
    viewer.pending.delete(channelId);
    if (pending.closed) return;
    if ("refuse" in found || found.link.ws.readyState !== found.link.ws.OPEN) {
      const reason = "refuse" in found ? found.refuse : `client ${viewer.target} is not reachable now`;
      peers.sendControl(viewer, { type: "close", channelId, reason }, viewer);
      return;
    }
    const { link } = found;
    // Across relays a viewer that asked for a data connection is answered once the far relay has
    // (onLinkAnswer); without one here it is told now that the channel is multiplexed, before the
    // first frame from the far side can reach it.
    const asking = pending.data === true && this.deps.data?.usable(viewer) === true;
    if (pending.data && !asking) peers.sendControl(viewer, { type: "open", channelId }, viewer);
    const linkChannel = freeChannelId(link.channels, link.nextChannelId);
    link.nextChannelId = linkChannel + 1;
    viewer.channels.set(channelId, { peer: link, id: linkChannel, inFlight: pending.inFlight });
    link.channels.set(linkChannel, { peer: viewer, id: channelId, inFlight: 0 });
    peers.sendControl(
      link,
      {
        type: "open",
        channelId: linkChannel,
        server: viewer.serverHost,
        target: viewer.target,
        viewer: viewer.userName,
        ...(asking ? { data: true, ...(this.deps.data?.sealed ? { seal: true } : {}) } : {}),
      },
      viewer,
    );
    for (const frame of pending.frames) {
      renumberFrame(frame, linkChannel);
      peers.send(viewer, link, frame, true);
    }
  }

  /** Either end's `close`: the channel goes at both ends, and the far end is told. */
  onClose(from: Peer, channelId: number, reason: string | undefined): void {
    const pending = from.pending.get(channelId);
    if (pending) {
      // Not linked yet: it is dropped when the link is there, and nobody else knows of it.
      pending.closed = true;
      return;
    }
    const end = from.channels.get(channelId);
    if (!end) return; // both ends may close at once; the second close finds nothing
    // A far relay's close without a reason is its splice's normal end: ours ends by itself once it has
    // written out what it holds. Anything else cuts the data connections now.
    if (!(from.role === "link" && reason === undefined)) end.splice?.destroy();
    from.channels.delete(channelId);
    end.peer.channels.delete(end.id);
    this.deps.peers.sendControl(
      end.peer,
      { type: "close", channelId: end.id, ...(reason ? { reason } : {}) },
      from,
    );
  }
}
