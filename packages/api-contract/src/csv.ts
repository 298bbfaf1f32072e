/**
 * The access history CSV's words in both languages: the column headers, the peer column of the
 * extended display, and the labels of the type and result cells. The admin API writes its file with
 * them and the TUI's msw stand-in writes the same file, so both come from here. No zod: the msw
 * handlers load this at run time and nothing else of the contract.
 */

/** The columns of every history CSV, in order. The API adds the contract's time zone to Start and End. */
export const csvHeaders = {
  en: ["User name", "Type", "Start", "End", "Duration (s)", "Source address", "MAC address", "Result"],
  ja: [
    "ユーザ名",
    "種別",
    "接続開始時刻",
    "接続終了時刻",
    "接続時間(秒)",
    "接続元アドレス",
    "MACアドレス",
    "認証結果",
  ],
} as const;

/** The extra column: the target client of viewer rows, the source viewer of client rows, or both. */
export const peerHeader = {
  target: { en: "Target client", ja: "接続先クライアント" },
  source: { en: "Source viewer", ja: "接続元ビューア" },
  both: { en: "Peer (target client / source viewer)", ja: "接続先クライアント／接続元ビューア" },
} as const;

/** The Type cell. */
export const roleLabel = {
  en: { viewer: "Viewer", client: "Client" },
  ja: { viewer: "ビューア", client: "クライアント" },
} as const;

/** The Result cell: a success, or the prefix of a failure's message. */
export const resultLabel = {
  en: { success: "Success", failure: "Failure: " },
  ja: { success: "成功", failure: "失敗：" },
} as const;
