/**
 * Sealing a spliced channel end to end (docs/protocol.md "Sealed channels"): the two agents speak
 * TLS 1.3 to each other through the relay's splice, keyed by a pre-shared key the relay gave both in
 * the channel's `open`. The relay then forwards ciphertext it never decrypts, so a relay that would
 * otherwise decrypt and re-encrypt every byte (TLS on both of its data connections) does no crypto at
 * all, and the data connections themselves may be plain TCP.
 *
 * The viewer's agent is the TLS client, the client's agent the server. TLS 1.3 with a pre-shared key
 * still runs an (EC)DHE exchange (OpenSSL's default `psk_dhe_ke`), so a key learnt later does not open
 * what was recorded; the key only proves that both ends are the ones the relay keyed. No certificate is
 * sent or checked: the key is the authentication. A wrong key, a peer that is not TLS, or bytes changed
 * on the way fail the handshake or the record, as an 'error' on the returned socket.
 */
import type { Socket } from "node:net";
import { connect, createServer, type TLSSocket } from "node:tls";

/** The identity both ends name their key by; one key per channel, so one name suffices. */
export const SEAL_IDENTITY = "tsunagi-channel/1";
/**
 * TLS 1.3 uses a PSK only with a suite of its hash (SHA-256 for the keys OpenSSL's callbacks give);
 * AES-128-GCM is also the cheapest suite where the CPU has AES instructions.
 */
export const SEAL_CIPHERS = "TLS_AES_128_GCM_SHA256";
/** Key length, bytes. */
export const SEAL_KEY_BYTES = 32;

export type SealRole = "viewer" | "client";

/** A handshake not done in this time fails (a far end that never answers). */
export const SEAL_HANDSHAKE_MS = 15_000;

/**
 * Wraps `socket` (a spliced data connection, after its token) in the channel's TLS; resolves with the
 * TLS socket once the handshake is done (the viewer's ClientHello follows its token at once), rejects
 * when it fails or times out. The socket allows half-open, as the splice needs.
 *
 * The client's side goes through a `tls.Server` of its own (never listening) rather than a bare
 * server-side TLSSocket: Node reports a bare one's TLS errors to nobody (its 'error' is held back until
 * a server releases it), so a failed or tampered handshake would hang instead of failing.
 */
export function seal(
  socket: Socket,
  key: Buffer,
  role: SealRole,
  timeoutMs = SEAL_HANDSHAKE_MS,
): Promise<TLSSocket> {
  if (key.length !== SEAL_KEY_BYTES) throw new Error(`a seal key is ${SEAL_KEY_BYTES} bytes`);
  const common = { ciphers: SEAL_CIPHERS, minVersion: "TLSv1.3", maxVersion: "TLSv1.3" } as const;
  return new Promise((resolve, reject) => {
    let settled = false;
    let sealed: TLSSocket | undefined;
    const timer = setTimeout(() => fail(new Error("the channel's TLS handshake timed out")), timeoutMs);
    const onClose = () => fail(new Error("the data connection closed during the channel's TLS handshake"));
    /** The handshake's end, once: false when it had ended already. */
    const settle = () => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      socket.off("close", onClose);
      return true;
    };
    const fail = (error: Error) => {
      if (!settle()) return;
      sealed?.destroy();
      socket.destroy();
      reject(error);
    };
    const done = (tls: TLSSocket) => {
      if (settled) return;
      // The handshake must have used the key. A TLS 1.3 server may ignore an offered key and prove
      // itself with a certificate instead: one from any public CA would then pass Node's chain check
      // (the name check is ours, refused below). A sealed channel takes no certificate at all.
      const certificate = tls.getPeerCertificate();
      if (certificate && Object.keys(certificate).length > 0) {
        fail(new Error("the far end showed a certificate instead of the channel's key"));
        return;
      }
      if (!settle()) return;
      // Until the caller's own listener (the splice's) is on, an error must not throw.
      tls.on("error", () => {});
      tls.allowHalfOpen = true;
      tls.setNoDelay(true);
      resolve(tls);
    };
    socket.once("close", onClose);
    if (role === "viewer") {
      const client = connect({
        ...common,
        socket,
        pskCallback: () => ({ psk: key, identity: SEAL_IDENTITY }),
        // Called only for a handshake that did not use the key, which a sealed channel refuses.
        checkServerIdentity: () => new Error("a sealed channel takes no certificate"),
      });
      sealed = client;
      client.once("error", fail);
      client.once("secureConnect", () => done(client));
      return;
    }
    const server = createServer({
      ...common,
      allowHalfOpen: true,
      pskCallback: (_socket: TLSSocket, identity: string) => (identity === SEAL_IDENTITY ? key : null),
    });
    server.once("tlsClientError", fail);
    server.once("secureConnection", (tls: TLSSocket) => {
      sealed = tls;
      tls.once("error", fail);
      done(tls);
    });
    server.emit("connection", socket);
  });
}
