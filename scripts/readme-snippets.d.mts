// Types for the plain-JavaScript snippet checker, so tests import it checked.
export type Snippet = { path: string; text: string };
export declare const snippetsDir: string;
export declare function snippetFiles(): Snippet[];
export declare function readmeSnippets(readme?: string): Snippet[];
export declare function checkReadme(readme?: string): string[];
