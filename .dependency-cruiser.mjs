// `npm run check` (so `npm test`) fails on an import circle: two files that import each other,
// directly or through others, types included. Break one by moving what both need to a third file.
export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Files import in one direction: an import circle hides which one depends on which.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|\\.data)/' },
    // Type-only imports count: a circle of types still ties the two files together.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // The workspaces' package.json "exports" (e.g. @coalition/shared/*) lead to their source files.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
