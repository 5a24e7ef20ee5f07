// ESLint for the pages' scripts: ES modules in the browser, served as they are.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: [".venv/**", ".cache/**", ".data/**", "node_modules/**", "shared/static/vendor/**"] },
  js.configs.recommended,
  {
    files: ["services/*/static/*.js", "shared/static/*.js"],
    languageOptions: { sourceType: "module", globals: globals.browser },
    rules: {
      eqeqeq: "error",
      "no-var": "error",
      "prefer-const": "error",
      "no-implicit-globals": "error",
      // Helpers are imported from shared/static/, never hung on window.
      "no-restricted-properties": ["error", { object: "window", message: "import it from shared/static/" }],
    },
  },
];
