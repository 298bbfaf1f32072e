/**
 * The reason catalogue: every reason an authentication attempt can be recorded with in the access
 * history, for both models, in both languages, with the response steps the admin tools show and the
 * user-management setting that fixes it (docs/domain.md "The reason catalogue").
 *
 * Codes are the service's own and are not unique (110200, 60100, 140200 and 190500 each carry more than
 * one reason), so the stable identity of a reason is its key, never its code. Reasons marked `ours` are
 * this project's additions; their codes live in the 9xxxxx range, which the service's codes (all below
 * 400000) never reach.
 */
import { z } from "zod";
import type { Model, Role } from "./domain.js";

export const langs = ["en", "ja"] as const;
export const Lang = z.enum(langs);
export type Lang = z.infer<typeof Lang>;

export type Severity = "error" | "info";

/**
 * The user-management setting an account manager changes to fix a reason, so the admin tools can offer
 * it beside the history row. `initialise-slot` means the terminal-auth slot (legacy: the PC or mobile
 * slot the failing product uses, see `slotOf`) or, for neo, the registered device. `null`: no setting
 * fixes it; the person at the device has to act (use the right key, wait a minute).
 */
export const fixes = [
  "password",
  "permissions",
  "edition-policy",
  "allow-mac",
  "allow-ip",
  "initialise-slot",
  "unlock",
] as const;
export type Fix = (typeof fixes)[number];

type Text = { readonly en: string; readonly ja: string };
type Steps = { readonly en: readonly string[]; readonly ja: readonly string[] };

export interface ReasonEntry {
  /** The numeric code at the end of the CSV message; null only for a reason that never makes a row. */
  readonly code: number | null;
  readonly models: readonly Model[];
  readonly roles: readonly Role[];
  readonly severity: Severity;
  readonly message: Text;
  readonly explanation: Text;
  readonly response: Steps;
  readonly fix: Fix | null;
  /** True when no source describes it: the rule is this project's design (docs/domain.md "(ours)"). */
  readonly ours: boolean;
  /** False when the attempt cannot be tied to a contract, so no history row is written. */
  readonly recorded: boolean;
}

const both = ["legacy", "neo"] as const satisfies readonly Model[];
const legacy = ["legacy"] as const satisfies readonly Model[];
const neo = ["neo"] as const satisfies readonly Model[];
const viewer = ["viewer"] as const satisfies readonly Role[];
const client = ["client"] as const satisfies readonly Role[];
const anyRole = ["viewer", "client"] as const satisfies readonly Role[];

const productNotAllowed = (
  code: number,
  product: string,
  meaningEn: string,
  meaningJa: string,
): ReasonEntry => ({
  code,
  models: legacy,
  roles: viewer,
  severity: "error",
  message: {
    en: `Connection from ${product} is not allowed by user management.`,
    ja: `${product}からの接続はユーザ管理により許可されていません。`,
  },
  explanation: {
    en: `The user is connecting with a product the user's permissions do not allow. "${product}" means ${meaningEn}.`,
    ja: `利用が許可されていない製品で接続しています。「${product}」は${meaningJa}を意味します。`,
  },
  response: {
    en: [
      "Use the product the user's permissions name (the right USB key and account pair, or the right viewer).",
      "Or, in user management, change the user's program permissions.",
    ],
    ja: [
      "ユーザに許可されている製品（正しいUSBキーとアカウントの組合せ、または正しいビューア）で利用します。",
      "または[ユーザ管理]より、該当ユーザのプログラムの利用許可を変更します。",
    ],
  },
  fix: "permissions",
  ours: false,
  recorded: true,
});

const terminalMismatchLegacy = (code: number, whichEn: string, whichJa: string) =>
  ({
    code,
    models: legacy,
    roles: viewer,
    severity: "error",
    message: {
      en: "Unable to establish the connection since the terminal-auth info registered with the server does not match the info of the connecting device.",
      ja: "サーバに登録されている端末認証情報と接続元端末の当該情報が異なるので接続できません。",
    },
    explanation: {
      en: `The device's identity does not match the one registered in the slot: ${whichEn}`,
      ja: `接続元端末の端末認証情報が、登録済みの情報と一致しません：${whichJa}`,
    },
    response: {
      en: [
        "Use the device matching the registered terminal-auth info.",
        'If the device was changed or the viewer reinstalled, initialise the terminal-auth info of the slot in user management ("Initialise", then save).',
      ],
      ja: [
        "端末認証情報を登録した端末を使用します。",
        "端末を変更した場合やビューアを再インストールした場合は、[ユーザ管理]より端末認証情報を初期化します（「初期化する」にチェックを入れて更新）。",
      ],
    },
    fix: "initialise-slot",
    ours: false,
    recorded: true,
  }) as const;

/** The catalogue. Order is the documentation order: legacy first, then neo, then ours. */
export const reasons = {
  "password-mismatch-viewer": {
    code: 110200,
    models: both,
    roles: viewer,
    severity: "error",
    message: {
      en: "The password sent from the viewer does not match the password registered with the server.",
      ja: "ビューアから送信されたパスワードと、サーバに登録されているパスワードが異なります。",
    },
    explanation: {
      en: "An incorrect password was entered in the viewer on the remote device.",
      ja: "手元端末のビューアで入力されたパスワードが間違っています。",
    },
    response: {
      en: ["Enter the correct password.", "If the password is lost, change it in user management."],
      ja: [
        "正しいパスワードを入力します。",
        "パスワードが不明な場合は[ユーザ管理]よりパスワードを変更します。",
      ],
    },
    fix: "password",
    ours: false,
    recorded: true,
  },
  "password-mismatch-client": {
    code: 110200,
    models: both,
    roles: client,
    severity: "error",
    message: {
      en: "The password sent from the client does not match the password registered with the server.",
      ja: "クライアントから送信されたパスワードと、サーバに登録されているパスワードが異なります。",
    },
    explanation: {
      en: "The password entered in the client on the target PC is incorrect.",
      ja: "接続先機器（対象機器）のクライアントに入力されたパスワードが間違っています。",
    },
    response: {
      en: [
        "Enter the correct password in the client on the target PC.",
        "If the password is lost, change it in user management.",
      ],
      ja: [
        "接続先機器のクライアントに正しいパスワードを入力します。",
        "パスワードが不明な場合は[ユーザ管理]よりパスワードを変更します。",
      ],
    },
    fix: "password",
    ours: false,
    recorded: true,
  },
  "product-not-allowed-ndl": productNotAllowed(
    90100,
    "NDL",
    "USB type NDL or fingerprint type NDL",
    "USB型 NDL / 指紋認証型 NDL",
  ),
  "product-not-allowed-xdl": productNotAllowed(
    280100,
    "XDL",
    "USB type XDL or fingerprint type XDL",
    "USB型 XDL / 指紋認証型 XDL",
  ),
  "product-not-allowed-ex": productNotAllowed(
    80100,
    "EX",
    "USB type EX or fingerprint type EX",
    "USB型 EX / 指紋認証型 EX",
  ),
  "product-not-allowed-ndl-s": productNotAllowed(
    70100,
    "NDL.S",
    "terminal-auth type NDL, or Mobile (Windows / Mac)",
    "端末認証型 NDL または モバイル（Windows / Mac）",
  ),
  "product-not-allowed-xdl-s": productNotAllowed(290100, "XDL.S", "terminal-auth type XDL", "端末認証型 XDL"),
  "product-not-allowed-ex-s": productNotAllowed(60100, "EX.S", "terminal-auth type EX", "端末認証型 EX"),
  "product-not-allowed-mobile-ndl": {
    ...productNotAllowed(270100, "Mobile (NDL)", "Mobile (iOS / Android)", "モバイル（iOS / Android）"),
    message: {
      en: "Connection from Mobile (NDL) is not allowed by user management.",
      ja: "モバイル(NDL)からの接続はユーザ管理により許可されていません。",
    },
    response: {
      en: [
        'In user management, allow the mobile viewer (product type "Mobile", or "allow mobile concurrent use").',
        "Or use the product the user's permissions name.",
      ],
      ja: [
        "[ユーザ管理]より、モバイルの利用（または「モバイル併用を許可する」）を許可します。",
        "または、ユーザに許可されている製品で利用します。",
      ],
    },
  },
  "client-not-allowed": {
    code: 60100,
    models: legacy,
    roles: client,
    severity: "error",
    message: {
      en: "Connection from the client is not allowed by user management.",
      ja: "クライアントからの接続はユーザ管理により許可されていません。",
    },
    explanation: {
      en: "The user is a device-dedicated account (or its client is not usable), and a target PC connected with it. A device-dedicated account may only connect from a remote device.",
      ja: "接続先機器で手元端末専用アカウント（またはクライアントの利用が許可されていないユーザ）を使用しています。手元端末専用アカウントは手元端末からのみ接続できます。",
    },
    response: {
      en: ["Use an account that allows connecting with a target PC."],
      ja: ["接続先機器からの接続が許可されているアカウントを使用します。"],
    },
    fix: "permissions",
    ours: false,
    recorded: true,
  },
  "usb-key-not-bound": {
    code: 120300,
    models: both,
    roles: viewer,
    severity: "error",
    message: {
      en: "This USB key cannot be used with this user name.",
      ja: "このユーザ名では当該のUSBキーは使用できません。",
    },
    explanation: {
      en: "The user is connecting with a USB key that is not bound to this user name.",
      ja: "このユーザ名に紐づいていないUSBキーで接続しています。",
    },
    response: {
      en: ["Use a correct combination of USB key and account."],
      ja: ["正しいUSBキーとアカウントの組合せで利用します。"],
    },
    fix: null,
    ours: false,
    recorded: true,
  },
  "mac-not-allowed": {
    code: 40100,
    models: legacy,
    roles: anyRole,
    severity: "error",
    message: {
      en: "Connection has been denied due to MAC address restriction.",
      ja: "MACアドレス制限により接続が拒否されました。",
    },
    explanation: {
      en: "The user is using a device other than those allowed by the MAC address restriction.",
      ja: "MACアドレス制限で許可されている端末以外から接続しています。",
    },
    response: {
      en: [
        "Use an allowed device.",
        "Or, in user management, allow connections from the device the user is using.",
      ],
      ja: [
        "許可されている端末を使用します。",
        "[ユーザ管理]により、該当ユーザが使用している端末の接続を許可します。",
      ],
    },
    fix: "allow-mac",
    ours: false,
    recorded: true,
  },
  "ip-not-allowed": {
    code: 40200,
    models: both,
    roles: anyRole,
    severity: "error",
    message: {
      en: "Connection has been denied due to IP address restriction.",
      ja: "IPアドレス制限により接続が拒否されました。",
    },
    explanation: {
      en: "The user is connecting from a global IP address other than those allowed by the IP address restriction.",
      ja: "IPアドレス制限で許可されているグローバルIPアドレス以外から接続しています。",
    },
    response: {
      en: [
        "Connect from a network with an allowed global IP address.",
        "Or, in user management, allow connections from the global IP address of the network the user is using.",
      ],
      ja: [
        "許可されているグローバルIPアドレスのネットワークから接続します。",
        "[ユーザ管理]により、該当ユーザが使用するネットワークのグローバルIPアドレスの接続を許可します。",
      ],
    },
    fix: "allow-ip",
    ours: false,
    recorded: true,
  },
  "terminal-auth-registered": {
    code: 200200,
    models: legacy,
    roles: viewer,
    severity: "info",
    message: {
      en: "Terminal-auth info is not registered.",
      ja: "端末認証情報が登録されていません。",
    },
    explanation: {
      en: "Not an error: the device connected to an empty slot and its terminal-auth info was registered.",
      ja: "エラーではありません。未登録の枠に接続元端末の端末認証情報が登録されました。",
    },
    response: { en: ["Nothing to do."], ja: ["対処は不要です。"] },
    fix: null,
    ours: false,
    recorded: true,
  },
  "terminal-auth-mismatch-machine": terminalMismatchLegacy(
    170400,
    "another machine.",
    "別の端末から接続しています。",
  ),
  "terminal-auth-mismatch-os-user": terminalMismatchLegacy(
    180200,
    "the same machine, but another OS user started the viewer.",
    "同じ端末ですが、別のOSユーザでビューアを起動しています。",
  ),
  "terminal-auth-mismatch-install": terminalMismatchLegacy(
    190500,
    "the same machine and OS user, but the viewer was reinstalled.",
    "同じ端末・同じOSユーザですが、ビューアが再インストールされています。",
  ),
  "terminal-auth-unsupported-viewer": {
    code: 190100,
    models: legacy,
    roles: viewer,
    severity: "error",
    message: {
      en: "Connection from a viewer that does not support terminal authentication is not allowed by user management.",
      ja: "端末認証対応ではないビューアからの接続はユーザ管理により許可されていません。",
    },
    explanation: {
      en: "The account is a terminal-auth or mobile type, but the viewer presented no terminal-auth info it could prove, for example after the viewer was deleted and reinstalled.",
      ja: "端末認証型またはモバイル型のアカウントに、端末認証情報を提示できないビューアから接続しています（ビューアを削除・再インストールした場合など）。",
    },
    response: {
      en: [
        "Initialise the user's terminal-auth info in user management.",
        "Install the viewer for the user's product.",
      ],
      ja: [
        "[ユーザ管理]より、該当ユーザの端末認証情報を初期化します。",
        "ユーザの製品に対応したビューアをインストールします。",
      ],
    },
    fix: "initialise-slot",
    ours: false,
    recorded: true,
  },
  "plus-not-allowed": {
    code: 140200,
    models: legacy,
    roles: viewer,
    severity: "error",
    message: {
      en: "Connection from a security check-enhanced viewer is not allowed by user management.",
      ja: "検疫状態チェック機能付きビューアからの接続はユーザ管理により許可されていません。",
    },
    explanation: {
      en: "The user is connecting with the Plus edition of the viewer (mc_viewer_plus), which the user may not use.",
      ja: "利用が許可されていないプラスエディションのビューア（mc_viewer_plus）で接続しています。",
    },
    response: {
      en: [
        "For USB or fingerprint type, use a correct combination of USB key and account.",
        "For terminal-auth type, install the non-Plus viewer.",
        "For Mobile (Windows), install the Mobile (Windows) viewer; for Mobile (Mac), install the Mobile (Mac) viewer from the App Store.",
      ],
      ja: [
        "「USB型」または「指紋認証型」の場合は、正しいUSBキーとアカウントの組合せで利用します。",
        "「端末認証型」の場合は、プラス無しタイプのビューアアプリをインストールして利用します。",
        "「モバイル(Windows)」の場合は「モバイル(Windows)」の、「モバイル(Mac)」の場合は[App Store]から「モバイル(Mac)」のビューアアプリをインストールして利用します。",
      ],
    },
    fix: "edition-policy",
    ours: false,
    recorded: true,
  },
  "non-plus-not-allowed": {
    code: 140200,
    models: legacy,
    roles: viewer,
    severity: "error",
    message: {
      en: "Connection from a viewer without the security check function is not allowed by user management.",
      ja: "検疫状態チェック機能が付いていないビューアからの接続はユーザ管理により許可されていません。",
    },
    explanation: {
      en: "The user is connecting with the non-Plus edition of the viewer (mc_viewer), which the user may not use.",
      ja: "利用が許可されていないプラス無しタイプのビューア（mc_viewer）で接続しています。",
    },
    response: {
      en: [
        "For USB or fingerprint type, connect with the Plus edition of the viewer (mc_viewer_plus).",
        "For terminal-auth type, install the Plus edition of the viewer.",
        'To allow the non-Plus viewer, tick "allow non-Plus concurrent use" in user management.',
      ],
      ja: [
        "「USB型」または「指紋認証型」の場合は、プラスエディションのビューアアプリ(mc_viewer_plus)から接続します。",
        "「端末認証型」の場合は、プラスエディションのビューアアプリをインストールして利用します。",
        "プラス無しタイプのビューアアプリによる接続を許可する場合は、[ユーザ管理]より「プラス無し併用を許可する」にチェックを入れます。",
      ],
    },
    fix: "edition-policy",
    ours: false,
    recorded: true,
  },
  "duplicate-viewer": {
    code: 30100,
    models: both,
    roles: viewer,
    severity: "error",
    message: {
      en: "A second viewer is trying to connect with the same user name.",
      ja: "同じユーザ名でビューアを複数接続しようとしています。",
    },
    explanation: {
      en: "A viewer with this user name is already connected. Only one viewer may be connected per user name.",
      ja: "同じユーザ名のビューアが既に接続しています。1つのユーザ名で接続できるビューアは1つです。",
    },
    response: {
      en: [
        "If two viewers are running, use the one that connected first.",
        "If no other viewer can be found, restart the remote device.",
        "Right after an abnormal disconnect the relay may still hold the old session: wait up to 1 minute and reconnect.",
      ],
      ja: [
        "ビューアアプリを2つ起動している場合は、先に接続している方を利用してください。",
        "他に起動しているビューアアプリが見つからない場合は手元端末の再起動をお試しください。",
        "通信異常で切断された直後は、サーバ側に接続情報が残っている場合があります。その場合は最大で1分間待機し、再接続してください。",
      ],
    },
    fix: null,
    ours: false,
    recorded: true,
  },
  "duplicate-client": {
    code: 30200,
    models: both,
    roles: client,
    severity: "error",
    message: {
      en: "A second client is trying to connect with the same user name.",
      ja: "同じユーザ名でクライアントを複数接続しようとしています。",
    },
    explanation: {
      en: "A client with this user name is already connected. Only one client may be connected per user name.",
      ja: "同じユーザ名のクライアントが既に接続しています。1つのユーザ名で接続できるクライアントは1つです。",
    },
    response: {
      en: [
        "If the client is installed on several PCs with the same user name, uninstall it from all but one.",
        "Right after an abnormal disconnect the relay may still hold the old session: the client reconnects within 1 minute.",
      ],
      ja: [
        "複数の端末にクライアントプログラムをインストールし同じユーザ名を利用している場合、1台を除きアンインストールしてください。",
        "通信異常で切断された直後は、サーバ側に接続情報が残っている場合があります。その場合、最大で1分間後には再接続に成功します。",
      ],
    },
    fix: null,
    ours: false,
    recorded: true,
  },
  "application-not-permitted": {
    code: 320100,
    models: neo,
    roles: anyRole,
    severity: "error",
    message: {
      en: "Use of this application is not permitted by user management.",
      ja: "ユーザ管理により対象のアプリケーションの利用が許可されていません。",
    },
    explanation: {
      en: "The user's permissions do not allow this application: a viewer product the user may not use, a viewer on a target-PC-only account, or a client on a device-dedicated account.",
      ja: "ユーザに許可されていないアプリケーションで接続しています（許可されていない製品のビューア、接続先機器専用アカウントでのビューア、手元端末専用アカウントでのクライアント）。",
    },
    response: {
      en: [
        "In user management, change the kinds of application the user may use.",
        "For a user that may not use the viewer (a target-PC-only account), use the correct user name.",
      ],
      ja: [
        "アカウント管理者向け管理機能の[ユーザ管理]より、該当ユーザが利用可能なアプリケーションの種類を変更します。",
        "ビューアを利用できないユーザ(接続先機器(対象機器)専用アカウント)の場合は、正しいユーザ名で利用します。",
      ],
    },
    fix: "permissions",
    ours: false,
    recorded: true,
  },
  "device-mismatch": {
    code: 200300,
    models: neo,
    roles: viewer,
    severity: "error",
    message: {
      en: "Unable to connect: the terminal-auth info registered with the server does not match the connecting device's, or the connecting device's terminal-auth info is not registered.",
      ja: "サーバに登録されている端末認証情報と接続元端末の当該情報が一致しないか、接続元端末の端末認証情報が未登録のため、接続できません。",
    },
    explanation: {
      en: "The device is not one of the user's registered devices, and registration of new devices is closed (or the viewer presented no terminal-auth info).",
      ja: "接続元端末はユーザの登録済み端末ではなく、新しい端末の登録が締め切られています（またはビューアが端末認証情報を提示していません）。",
    },
    response: {
      en: [
        "Use a registered device.",
        "To use this device, open registration or remove a registered device in user management.",
      ],
      ja: [
        "登録済みの端末を使用します。",
        "この端末を使用する場合は、[ユーザ管理]より端末の登録を許可するか、登録済みの端末認証情報を解除(初期化)します。",
      ],
    },
    fix: "initialise-slot",
    ours: false,
    recorded: true,
  },
  "device-limit-reached": {
    code: 200400,
    models: neo,
    roles: viewer,
    severity: "error",
    message: {
      en: "Unable to connect: the connecting device's terminal-auth info is not registered and no more devices can be registered.",
      ja: "手元端末の端末認証情報が未登録で、これ以上登録できないため、接続できません。",
    },
    explanation: {
      en: "The device is not registered and the user already has as many registered devices as the limit allows.",
      ja: "接続元端末は未登録で、ユーザの登録済み端末数が上限に達しています。",
    },
    response: {
      en: [
        "Use a registered device.",
        "To use this device, remove (initialise) a registered device that is no longer used in user management.",
      ],
      ja: [
        "登録済みの端末を使用します。",
        "この端末を使用する場合は、[ユーザ管理]より使用しなくなった端末の端末認証情報を解除(初期化)します。",
      ],
    },
    fix: "initialise-slot",
    ours: false,
    recorded: true,
  },
  "neo-reinstalled": {
    code: 190500,
    models: neo,
    roles: viewer,
    severity: "error",
    message: {
      en: "Unable to connect: the terminal-auth info registered with the server differs from the connecting device's.",
      ja: "サーバに登録されている端末認証情報と接続元端末の当該情報が異なるので接続できません。",
    },
    explanation: {
      en: "The device is registered, but the viewer was reinstalled or started by another OS user than the one it was registered with.",
      ja: "登録済みの端末ですが、ビューアアプリが再インストールされたか、登録時と別のOSユーザで起動されています。",
    },
    response: {
      en: [
        "If the viewer was deleted and reinstalled, initialise the registered terminal-auth info in user management.",
        "If the viewer was started by another Windows / Mac user than at registration, start it as the original user, or initialise the registered terminal-auth info in user management.",
      ],
      ja: [
        "ビューアアプリを削除、再インストールした場合、アカウント管理者向け管理機能の[ユーザ管理]より、登録済みの端末認証情報を解除(初期化)します。",
        "「端末認証情報」を登録した時と別のWindowsユーザー/Macユーザーでビューアアプリを起動した場合、元のWindowsユーザー/Macユーザーでビューアアプリを起動するか、アカウント管理者向け管理機能の[ユーザ管理]より、登録済みの端末認証情報を解除(初期化)します。",
      ],
    },
    fix: "initialise-slot",
    ours: false,
    recorded: true,
  },
  "locked-out": {
    code: 910100,
    models: both,
    roles: anyRole,
    severity: "error",
    message: {
      en: "The user is locked out after repeated password failures.",
      ja: "パスワードの連続した誤りにより、ユーザがロックされています。",
    },
    explanation: {
      en: "The password was wrong as many times in a row as the contract's security settings allow; the user is locked until the lockout period ends. Attempts during the lockout are refused even with the right password.",
      ja: "パスワードの誤りが契約のセキュリティ設定の回数に達したため、ロック期間が終わるまでユーザはロックされています。ロック中は正しいパスワードでも接続できません。",
    },
    response: {
      en: [
        "Wait until the lockout period ends, then enter the correct password.",
        "Or unlock the user in user management once you know the attempts were the user's own.",
      ],
      ja: [
        "ロック期間が終わるまで待ち、正しいパスワードを入力します。",
        "本人による操作と確認できた場合は、[ユーザ管理]よりロックを解除します。",
      ],
    },
    fix: "unlock",
    ours: true,
    recorded: true,
  },
  "unknown-user": {
    code: null,
    models: both,
    roles: anyRole,
    severity: "error",
    message: {
      en: "The server or user name is incorrect.",
      ja: "サーバまたはユーザ名が間違っています。",
    },
    explanation: {
      en: "The attempt named a server or user name that does not exist, so it cannot be tied to a contract and no access history row is written.",
      ja: "存在しないサーバまたはユーザ名で接続しているため、契約と結び付けられず、アクセス履歴には表示されません。",
    },
    response: {
      en: ["Check and enter the correct server and user name."],
      ja: ["正しいサーバとユーザ名を確認して入力します。"],
    },
    fix: null,
    ours: false,
    recorded: false,
  },
} as const satisfies Record<string, ReasonEntry>;

export type ReasonKey = keyof typeof reasons;
/** The reasons that make a history row (everything but unknown-user). */
export type RecordedReasonKey = Exclude<ReasonKey, "unknown-user">;

export const reasonKeys = Object.keys(reasons) as [ReasonKey, ...ReasonKey[]];
/** The reason key on the wire and in the admin API. */
export const ReasonKey = z.enum(reasonKeys);

/** Codes at or above this are ours and can never be the service's (whose highest is 320100). */
export const OUR_CODE_FLOOR = 900000;

export function reasonEntry(key: ReasonKey): ReasonEntry {
  return reasons[key];
}

/** One reason in one language, with the setting that fixes it: what the admin tools show. */
export function localisedReason(key: ReasonKey, lang: Lang) {
  const entry = reasons[key];
  return {
    key,
    code: entry.code,
    message: entry.message[lang],
    explanation: entry.explanation[lang],
    response: [...entry.response[lang]],
    fix: entry.fix,
  };
}

/** The reason's message as the access history shows it after "Failure: ". */
export function reasonMessage(key: ReasonKey, lang: Lang): string {
  return reasons[key].message[lang];
}

/** The message as the CSV download carries it: the message, then its code in parentheses. */
export function csvMessage(key: RecordedReasonKey, lang: Lang): string {
  const entry = reasons[key];
  return `${entry.message[lang]} (${entry.code})`;
}

/** The reasons of one model, in catalogue order. */
export function reasonsOf(model: Model): ReasonKey[] {
  return reasonKeys.filter((key) => (reasons[key].models as readonly Model[]).includes(model));
}
