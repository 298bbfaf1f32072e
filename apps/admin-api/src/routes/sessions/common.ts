/** What the session routes share: their tag. */
export const tags = ["Sessions"];
