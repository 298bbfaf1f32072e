/** Access history: the page (page.ts) and the CSV download (csv.ts). */
import { router, type Services } from "../../context.js";
import { historyCsvRoute } from "./csv.js";
import { historyPageRoute } from "./page.js";

export function historyRoutes(services: Services) {
  return router().route("/", historyPageRoute(services)).route("/", historyCsvRoute(services));
}
