/** Where the server reports failures it survived. Injected so tests can assert on them. */
export interface ServerLogger {
  error(message: string, error?: unknown): void;
}

export const consoleLogger: ServerLogger = {
  error: (message, error) => (error === undefined ? console.error(message) : console.error(message, error)),
};
