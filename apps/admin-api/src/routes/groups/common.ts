/** What the grouping routes share: their tag. */
export const tags = ["Grouping"];
