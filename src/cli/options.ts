/** Command-line values arrive as text: numbers are converted, anything else is left for the schema to reject. */
export function asNumber(value: string): number | string {
  return /^-?\d+$/.test(value.trim()) ? Number(value) : value;
}
