import { describe, expect, it } from "vitest";
import { hasControlCharacters, INVALID_FIELD, parseUsbKeySerial, recordedMac } from "./fields.js";
import { Hello } from "./wire.js";

const hello = {
  type: "hello",
  role: "viewer",
  server: "asp1",
  user: "user1",
  password: "pw",
  version: "1.0.0",
  product: "terminal-ndl-s",
} as const;

describe("reported fields", () => {
  it("a MAC is recorded canonical when it parses, as invalid when it does not, never as sent", () => {
    expect(recordedMac("AA-BB-CC-DD-EE-FF")).toBe("aa:bb:cc:dd:ee:ff");
    expect(recordedMac('=HYPERLINK("//x.io")')).toBe(INVALID_FIELD);
    expect(recordedMac("aa:bb:cc:dd:ee")).toBe(INVALID_FIELD);
    expect(recordedMac(undefined)).toBe(null);
  });

  it("the hello carries a MAC that does not parse (it is judged and recorded as invalid)", () => {
    expect(Hello.safeParse({ ...hello, mac: '=HYPERLINK("//x.io")' }).success).toBe(true);
    expect(Hello.safeParse({ ...hello, mac: "a".repeat(33) }).success).toBe(false);
  });

  it("refuses a machine id or OS user with control characters, or overlong", () => {
    const device = { machineId: "PC-01", osUser: "CORP\\taro", installPublicKey: "AAAA" };
    expect(Hello.safeParse({ ...hello, device }).success).toBe(true);
    for (const bad of [
      { ...device, machineId: "PC\u0000-01" },
      { ...device, machineId: "PC\r\n=1+1" },
      { ...device, machineId: "x".repeat(257) },
      { ...device, osUser: "taro\u202egpj.exe" },
      { ...device, osUser: "" },
    ]) {
      expect(Hello.safeParse({ ...hello, device: bad }).success).toBe(false);
    }
  });

  it("a USB key serial is letters and digits with - . _ between them, at most 64", () => {
    for (const serial of ["NDL-0001-0001", "KEY-0001", "NDL-F001", "A", "ab.cd_ef"]) {
      expect(parseUsbKeySerial(serial).ok).toBe(true);
      expect(Hello.safeParse({ ...hello, usbKeySerial: serial }).success).toBe(true);
    }
    for (const serial of ["=1+1", "-KEY", "KEY-", "KEY 1", "", "K".repeat(65), "@SUM(A1)"]) {
      expect(parseUsbKeySerial(serial).ok).toBe(false);
      expect(Hello.safeParse({ ...hello, usbKeySerial: serial }).success).toBe(false);
    }
  });

  it("user, target and version carry no control characters", () => {
    expect(hasControlCharacters("user1")).toBe(false);
    expect(hasControlCharacters("山田")).toBe(false);
    expect(Hello.safeParse({ ...hello, target: "user\u0007" }).success).toBe(false);
    expect(Hello.safeParse({ ...hello, user: "user\u0085" }).success).toBe(false);
    expect(Hello.safeParse({ ...hello, version: "1.0\t" }).success).toBe(false);
  });
});
