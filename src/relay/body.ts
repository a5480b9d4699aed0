/** Request bodies: JSON whatever the Content-Type (relay-contract.md §0). */

/** Reads the body as JSON whatever the Content-Type; anything unparsable becomes `null`. */
export async function readJson(req: { text(): Promise<string> }): Promise<unknown> {
  const text = await req.text();
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
