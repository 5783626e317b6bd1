// This app runs on Express, Nest's default: no adapter to pass.
export function createHttpAdapter(): undefined {
  return undefined;
}
