/** How a config endpoint's group and auth strategy resolve. Pure: the config checks and the plan builder share it. */

/** The group: its own, else the name's part before the first "." (`orders.list` → `orders`). */
export function groupOf(name: string, e: { group?: string | undefined }): string {
  return e.group ?? name.split('.')[0] ?? name;
}

/** The auth strategy: its own, else its group's, else none. */
export function authOf(
  groups: Record<string, { auth?: string | undefined }> | undefined,
  name: string,
  e: { group?: string | undefined; auth?: string | undefined },
): string {
  return e.auth ?? groups?.[groupOf(name, e)]?.auth ?? 'none';
}
