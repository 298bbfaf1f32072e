/** What the agent reports about its machine besides the identity: the MAC address of its first network interface. */
import { networkInterfaces } from "node:os";

export function primaryMac(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (!address.internal && address.mac && address.mac !== "00:00:00:00:00:00") return address.mac;
    }
  }
  return undefined;
}
