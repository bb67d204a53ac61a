/**
 * Where the membership worker's entry is, from the speaker's entry `mainUrl` (import.meta.url of main):
 * the bundle dist/bundle/herald-speaker.mjs has herald-speaker-membership.mjs beside it (bundleBinaries.mjs
 * builds both; the image ships the directory); tsc's dist/main.js has dist/membership/membershipThread.js.
 */
export function membershipThreadUrl(mainUrl: string): URL {
  return mainUrl.endsWith('.mjs') ? new URL('./herald-speaker-membership.mjs', mainUrl) : new URL('./membership/membershipThread.js', mainUrl);
}
