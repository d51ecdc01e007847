// The viewer's CSS. Inside VS Code only `--vscode-*` variables are used (the webview defines them
// for the active theme); the standalone report defines the same variables in `REPORT_THEME_CSS`.

/**
 * Device colours: Okabe–Ito (colour-blind safe) for the first seven devices, then Paul Tol's muted
 * scheme. `ink` is the label colour with enough contrast on the fill.
 */
export const DEVICE_PALETTE: { fill: string; ink: string }[] = [
  { fill: '#E69F00', ink: '#000000' },
  { fill: '#56B4E9', ink: '#000000' },
  { fill: '#009E73', ink: '#000000' },
  { fill: '#F0E442', ink: '#000000' },
  { fill: '#0072B2', ink: '#ffffff' },
  { fill: '#D55E00', ink: '#000000' },
  { fill: '#CC79A7', ink: '#000000' },
  { fill: '#88CCEE', ink: '#000000' },
  { fill: '#44AA99', ink: '#000000' },
  { fill: '#117733', ink: '#ffffff' },
  { fill: '#332288', ink: '#ffffff' },
  { fill: '#DDCC77', ink: '#000000' },
  { fill: '#999933', ink: '#000000' },
  { fill: '#CC6677', ink: '#000000' },
  { fill: '#882255', ink: '#ffffff' },
  { fill: '#AA4499', ink: '#ffffff' },
];

export function deviceColour(d: number): { fill: string; ink: string } {
  if (d < 0) return { fill: 'var(--vscode-disabledForeground, #888)', ink: 'var(--vscode-foreground)' };
  return DEVICE_PALETTE[d % DEVICE_PALETTE.length];
}

/** Per-device classes for up to `n` devices (colours repeat after 16; labels say the number). */
function deviceRules(n: number): string {
  const out: string[] = [];
  for (let d = 0; d < n; d++) {
    const c = deviceColour(d);
    // Pipeline stages (throughput mode) take the same palette by stage index.
    out.push(`.device-${d},.stage-${d}{--dev-fill:${c.fill};--dev-ink:${c.ink}}`);
  }
  return out.join('\n');
}

export const VIEWER_CSS = `
:root { color-scheme: light dark; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; height: 100%; }
body {
  font-family: var(--vscode-font-family); font-size: var(--vscode-font-size, 13px);
  color: var(--vscode-foreground); background: var(--vscode-editor-background);
  display: flex; flex-direction: column; overflow: hidden;
}
button.link { background: none; border: none; color: var(--vscode-textLink-foreground); cursor: pointer; padding: 0; font: inherit; }
#header { padding: 6px 10px 4px; border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,0.35)); display: flex; flex-wrap: wrap; gap: 4px 18px; align-items: baseline; }
#header h1 { font-size: 1.15em; margin: 0 8px 0 0; font-weight: 600; }
#header .stat { white-space: nowrap; }
#header .stat b { font-weight: 600; }
#header .infeasible { color: var(--vscode-errorForeground, #e51400); font-weight: 600; }
#header .feasible { color: var(--vscode-testing-iconPassed, var(--vscode-foreground)); font-weight: 600; }
#controls { padding: 4px 10px; display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: flex-end; border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,0.35)); }
#controls .ctl { display: flex; flex-direction: column; gap: 2px; }
#controls .ctl > span { font-size: 0.85em; color: var(--vscode-descriptionForeground); }
#controls vscode-textfield.num { width: 70px; }
#controls vscode-textfield.mem { width: 92px; }
#controls vscode-single-select { width: 128px; }
.mem-bar text.limit-off { fill: var(--vscode-errorForeground, #e51400); font-size: 9px; }
#controls .mem-fields { display: flex; gap: 4px; flex-wrap: wrap; }
#controls .invalid-msg { color: var(--vscode-errorForeground, #e51400); font-size: 0.85em; }
/* The model's symbolic dims: a line of their own under the placement knobs (they re-load the model). */
#controls .dims-row { flex: 1 0 100%; display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: flex-end; padding-top: 4px; border-top: 1px dashed var(--vscode-panel-border, rgba(128,128,128,0.35)); }
#controls .dims-row .dims-title { font-size: 0.85em; font-weight: 600; color: var(--vscode-foreground); align-self: center; }
#controls .dims-texts { flex: 1 1 300px; min-width: 0; align-self: center; }
#controls .dims-warning { color: var(--vscode-editorWarning-foreground, var(--vscode-charts-yellow, #bf8803)); font-size: 0.85em; overflow-wrap: anywhere; }
#status { padding: 2px 10px; min-height: 1.5em; font-size: 0.9em; color: var(--vscode-descriptionForeground); display: flex; gap: 10px; align-items: center; }
#status.error { color: var(--vscode-errorForeground, #e51400); }
#status progress { width: 140px; height: 8px; }
/* Panes share the window without overlapping: header, controls and status take what they need,
   the timeline its (capped, resizable) height, and the DAG + side panel the rest. */
#header, #controls, #status, #split { flex: 0 0 auto; }
#main { flex: 1 1 0; display: flex; min-height: 140px; }
#dag-wrap { flex: 1; position: relative; min-width: 0; display: flex; flex-direction: column; border-right: 1px solid var(--vscode-panel-border, rgba(128,128,128,0.35)); }
#dag { flex: 1 1 0; min-height: 0; width: 100%; display: block; cursor: grab; outline: none; position: relative; overflow: hidden; }
#dag svg.scene { position: absolute; left: 0; top: 0; transform-origin: 0 0; will-change: transform; overflow: visible; }
#dag:active { cursor: grabbing; }
#dag-tools { flex: 0 0 auto; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; background: var(--vscode-editorWidget-background); border-bottom: 1px solid var(--vscode-editorWidget-border, var(--vscode-panel-border, rgba(128,128,128,0.35))); padding: 3px 6px; }
#dag-tools vscode-textfield { width: 180px; }
#dag-tools vscode-single-select { width: 170px; }
#legend { flex: 0 0 auto; background: var(--vscode-editorWidget-background); border-top: 1px solid var(--vscode-editorWidget-border, var(--vscode-panel-border, rgba(128,128,128,0.35))); padding: 3px 6px; font-size: 0.85em; display: flex; flex-wrap: wrap; gap: 4px 10px; }
#legend .sw { forced-color-adjust: none; display: inline-block; width: 12px; height: 12px; vertical-align: -2px; margin-right: 4px; border: 1px solid var(--vscode-contrastBorder, transparent); background: var(--dev-fill); }
#legend .sw.cross { background: none; border: none; border-top: 2px dashed var(--vscode-charts-red, #d55e00); height: 0; width: 18px; vertical-align: 3px; }
#legend .sw.crit { background: none; border: none; border-top: 3px solid var(--vscode-focusBorder, #0078d4); height: 0; width: 18px; vertical-align: 3px; }
#side { width: 330px; min-width: 240px; overflow: auto; padding: 6px 10px; }
#side h2 { font-size: 1em; margin: 8px 0 4px; font-weight: 600; }
#details { font-size: 0.92em; }
#details table { border-collapse: collapse; }
#details td { padding: 1px 6px 1px 0; vertical-align: top; }
#details td:first-child { color: var(--vscode-descriptionForeground); white-space: nowrap; }
#split { height: 5px; cursor: row-resize; border-top: 1px solid var(--vscode-panel-border, rgba(128,128,128,0.35)); touch-action: none; }
#split:hover, #split:active { background: var(--vscode-sash-hoverBorder, var(--vscode-focusBorder, #0078d4)); }
#timeline-wrap { flex: 0 0 auto; height: 190px; min-height: 40px; max-height: 45vh; position: relative; }
#timeline { width: 100%; height: 100%; display: block; }
#tooltip { position: fixed; pointer-events: none; z-index: 10; display: none; max-width: 380px;
  background: var(--vscode-editorHoverWidget-background, var(--vscode-editorWidget-background, Canvas));
  color: var(--vscode-editorHoverWidget-foreground, var(--vscode-foreground));
  border: 1px solid var(--vscode-editorHoverWidget-border, var(--vscode-panel-border, rgba(128,128,128,0.35)));
  padding: 4px 8px; font-size: 0.9em; border-radius: 3px; }
#tooltip table { border-collapse: collapse; }
#tooltip td { padding: 0 6px 0 0; }
#tooltip td:first-child { color: var(--vscode-descriptionForeground); }

/* DAG */
svg text { font-family: var(--vscode-font-family); }
#dag, #memory, #memtime { forced-color-adjust: none; }
.item { cursor: pointer; }
.item.node rect { fill: var(--dev-fill, var(--vscode-editorWidget-background)); stroke: var(--vscode-contrastBorder, rgba(0,0,0,0.25)); stroke-width: 1; }
.item.node.unplaced rect { fill: var(--vscode-editorWidget-background); stroke: var(--vscode-disabledForeground, #888); stroke-dasharray: 3 2; }
.item.node text { fill: var(--dev-ink, var(--vscode-foreground)); font-size: 11px; pointer-events: none; }
.item.node.unplaced text { fill: var(--vscode-foreground); }
.item.node text.op { font-weight: 600; }
.item.group rect.box { fill: var(--vscode-editorWidget-background); stroke: var(--vscode-editorWidget-border, var(--vscode-panel-border, rgba(128,128,128,0.35))); stroke-width: 1.5; }
.item.group text { fill: var(--vscode-foreground); font-size: 11px; pointer-events: none; }
.item.group text.sub { fill: var(--vscode-descriptionForeground); font-size: 10px; }
.item.group.critical rect.box { stroke: var(--vscode-focusBorder, #0078d4); stroke-width: 2.5; }
.show-critical .item.node.critical rect { stroke: var(--vscode-focusBorder, #0078d4); stroke-width: 3; }
.item.hover rect, .item.selected rect { stroke: var(--vscode-list-focusOutline, var(--vscode-focusBorder, #0078d4)) !important; stroke-width: 3 !important; }
#minimap { position: absolute; right: 8px; bottom: 8px; width: 180px; height: 120px; background: var(--vscode-editorWidget-background, rgba(30,30,30,0.85)); border: 1px solid var(--vscode-editorWidget-border, rgba(128,128,128,0.5)); cursor: pointer; z-index: 2; }
.item.failed rect { stroke: var(--vscode-errorForeground, #f14c4c) !important; stroke-width: 4 !important; stroke-dasharray: none; }
.item.match rect { stroke: var(--vscode-editor-findMatchBorder, var(--vscode-charts-yellow, #f0e442)) !important; stroke-width: 3 !important; stroke-dasharray: 4 2; }
.item.match-current rect { stroke: var(--vscode-editor-findMatchHighlightBorder, var(--vscode-charts-orange, #ff8c00)) !important; stroke-width: 5 !important; stroke-dasharray: none; }
.scope-frame rect { fill: none; stroke: var(--vscode-panel-border, rgba(128,128,128,0.35)); stroke-dasharray: 4 3; }
.scope-frame text { fill: var(--vscode-descriptionForeground); font-size: 11px; cursor: pointer; }
.scope-frame text:hover { fill: var(--vscode-textLink-foreground); }
/* If/Loop/Scan bodies: a solid frame (the body is part of one placed op), its ops lighter than placed ops. */
.scope-frame.body-frame rect { stroke: var(--vscode-focusBorder, #0078d4); stroke-dasharray: none; fill: var(--vscode-editorWidget-background); fill-opacity: 0.6; }
.item.node.body-op rect { fill-opacity: 0.75; stroke-dasharray: 2 2; }
.item.node text.body-toggle { pointer-events: all; cursor: pointer; font-size: 10px; text-decoration: underline; }
#details .hint { color: var(--vscode-descriptionForeground); font-size: 0.9em; }
path.edges { fill: none; stroke-linejoin: round; }
path.edges.same { stroke: var(--vscode-editorLineNumber-foreground, #888); stroke-width: 1; opacity: 0.8; }
path.edges.cross { stroke: var(--vscode-charts-red, #d55e00); stroke-width: 1.6; stroke-dasharray: 5 3; }
path.edges.critical { stroke: var(--vscode-focusBorder, #0078d4); stroke-width: 3; opacity: 0.9; }
.lod-low .item text { display: none; }
.lod-low path.edges.same { opacity: 0.5; }

/* memory panel */
.mem-bar rect.seg-persistent { fill: var(--dev-fill); }
.mem-bar rect.seg-activations { fill: var(--dev-fill); opacity: 0.65; }
.mem-bar rect.seg-temporary { fill: var(--dev-fill); opacity: 0.35; }
.mem-bar rect.seg-stashed { fill: var(--dev-fill); opacity: 0.55; }
/* pipeline timeline (throughput mode): forward solid, backward hatched, idle (the bubble) grey hatched */
/* A pipeline's time per sample is its slowest stage, not a path: no critical-path toggle in throughput mode. */
body[data-objective="throughput"] #toggle-critical { display: none; }
#pipeline-timeline { width: 100%; height: 100%; display: block; forced-color-adjust: none; }
#pipeline-timeline rect.key-swatch.forward { fill: var(--dev-fill); }
#pipeline-timeline rect.key-swatch.backward { fill: var(--dev-fill); fill-opacity: 0.5; }
#pipeline-timeline rect.key-swatch.idle { fill: url(#pl-idle); stroke: var(--vscode-panel-border, rgba(128,128,128,0.35)); }
#pipeline-timeline rect.task { stroke: var(--vscode-contrastBorder, rgba(0,0,0,0.35)); stroke-width: 0.5; }
#pipeline-timeline rect.task.forward { fill: var(--dev-fill); }
#pipeline-timeline rect.task.backward { fill: var(--dev-fill); fill-opacity: 0.5; }
#pipeline-timeline rect.idle { fill: url(#pl-idle); stroke: none; }
#pipeline-timeline text.task-label { fill: var(--dev-ink); font-size: 10px; pointer-events: none; }
#pipeline-timeline text.lane { fill: var(--vscode-foreground); font-size: 11px; }
#pipeline-timeline .lane.slowest { font-weight: 700; }
#pipeline-timeline .hatch-line { stroke: var(--vscode-foreground); stroke-width: 1.2; opacity: 0.5; }
#pipeline-timeline .idle-line { stroke: var(--vscode-disabledForeground, #888); stroke-width: 1; opacity: 0.6; }
#pipeline-timeline rect.task.hover { stroke: var(--vscode-focusBorder, #0078d4); stroke-width: 2; }
#pipeline-timeline .message { fill: var(--vscode-descriptionForeground); font-size: 12px; }
.mem-bar rect.frame { fill: none; stroke: var(--vscode-contrastBorder, var(--vscode-panel-border, rgba(128,128,128,0.35))); }
.mem-bar.over rect.frame { stroke: var(--vscode-errorForeground, #e51400); stroke-width: 2.5; }
.mem-bar.over text.val { fill: var(--vscode-errorForeground, #e51400); font-weight: 600; }
.mem-bar.selected rect.frame { stroke: var(--vscode-focusBorder, #0078d4); stroke-width: 2; }
.mem-bar text { fill: var(--vscode-foreground); font-size: 10px; }
.mem-bar { cursor: pointer; }
line.limit { stroke: var(--vscode-errorForeground, #e51400); stroke-width: 2; stroke-dasharray: 4 2; }
.axis text { fill: var(--vscode-descriptionForeground); font-size: 10px; }
.axis line, .axis path { stroke: var(--vscode-panel-border, rgba(128,128,128,0.35)); }
path.mem-curve { fill: var(--dev-fill); fill-opacity: 0.35; stroke: var(--dev-fill); stroke-width: 1.5; }
.mem-legend { font-size: 0.85em; color: var(--vscode-descriptionForeground); }

${deviceRules(64)}
`;

/** Fallback theme for the standalone report: the `--vscode-*` variables VIEWER_CSS uses. */
export const REPORT_THEME_CSS = `
:root {
  --vscode-font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  --vscode-font-size: 13px;
  --vscode-foreground: #1f1f1f; --vscode-descriptionForeground: #616161; --vscode-disabledForeground: #8a8a8a;
  --vscode-editor-background: #ffffff; --vscode-editorWidget-background: #f3f3f3; --vscode-editorWidget-border: #c8c8c8;
  --vscode-panel-border: #d4d4d4; --vscode-focusBorder: #005fb8; --vscode-errorForeground: #c72e0f;
  --vscode-textLink-foreground: #005fb8; --vscode-charts-red: #c4314b; --vscode-charts-yellow: #bf8803;
  --vscode-editorLineNumber-foreground: #6e7681; --vscode-testing-iconPassed: #2f7d32;
  --vscode-editorHoverWidget-background: #f8f8f8; --vscode-editorHoverWidget-border: #c8c8c8;
  --vscode-input-background: #ffffff; --vscode-input-foreground: #1f1f1f; --vscode-input-border: #cecece;
  --vscode-button-background: #005fb8; --vscode-button-foreground: #ffffff;
  --vscode-dropdown-background: #ffffff; --vscode-dropdown-foreground: #1f1f1f; --vscode-dropdown-border: #cecece;
  --vscode-checkbox-background: #ffffff; --vscode-checkbox-border: #cecece; --vscode-settings-textInputBorder: #cecece;
  /* What @vscode-elements reads (VS Code's Light Modern): without them its controls keep their dark defaults. */
  --vscode-settings-textInputBackground: #ffffff; --vscode-settings-textInputForeground: #1f1f1f; --vscode-input-placeholderForeground: #767676;
  --vscode-settings-dropdownBackground: #ffffff; --vscode-settings-dropdownForeground: #1f1f1f; --vscode-settings-dropdownBorder: #cecece;
  --vscode-settings-dropdownListBorder: #cecece; --vscode-settings-checkboxBackground: #ffffff; --vscode-settings-checkboxForeground: #1f1f1f;
  --vscode-settings-checkboxBorder: #cecece; --vscode-checkbox-foreground: #1f1f1f; --vscode-button-hoverBackground: #0258a8;
  --vscode-button-secondaryBackground: #e5e5e5; --vscode-button-secondaryForeground: #1f1f1f; --vscode-button-secondaryHoverBackground: #cccccc;
  --vscode-list-activeSelectionBackground: #e4e6f1; --vscode-list-activeSelectionForeground: #000000; --vscode-list-hoverBackground: #f2f2f2;
  --vscode-editorWarning-foreground: #a36a00;
}
@media (prefers-color-scheme: dark) {
  :root {
    --vscode-foreground: #cccccc; --vscode-descriptionForeground: #9d9d9d; --vscode-disabledForeground: #6e6e6e;
    --vscode-editor-background: #1f1f1f; --vscode-editorWidget-background: #252526; --vscode-editorWidget-border: #454545;
    --vscode-panel-border: #3c3c3c; --vscode-focusBorder: #4daafc; --vscode-errorForeground: #f48771;
    --vscode-textLink-foreground: #4daafc; --vscode-charts-red: #f14c4c; --vscode-charts-yellow: #cca700;
    --vscode-editorLineNumber-foreground: #8b949e; --vscode-testing-iconPassed: #73c991;
    --vscode-editorHoverWidget-background: #252526; --vscode-editorHoverWidget-border: #454545;
    --vscode-input-background: #313131; --vscode-input-foreground: #cccccc; --vscode-input-border: #3c3c3c;
    --vscode-dropdown-background: #313131; --vscode-dropdown-foreground: #cccccc; --vscode-dropdown-border: #3c3c3c;
    --vscode-checkbox-background: #313131; --vscode-checkbox-border: #3c3c3c; --vscode-settings-textInputBorder: #3c3c3c;
    --vscode-settings-textInputBackground: #313131; --vscode-settings-textInputForeground: #cccccc; --vscode-input-placeholderForeground: #989898;
    --vscode-settings-dropdownBackground: #313131; --vscode-settings-dropdownForeground: #cccccc; --vscode-settings-dropdownBorder: #3c3c3c;
    --vscode-settings-dropdownListBorder: #454545; --vscode-settings-checkboxBackground: #313131; --vscode-settings-checkboxForeground: #cccccc;
    --vscode-settings-checkboxBorder: #3c3c3c; --vscode-checkbox-foreground: #cccccc; --vscode-button-hoverBackground: #026ec1;
    --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc; --vscode-button-secondaryHoverBackground: #3c3c3c;
    --vscode-list-activeSelectionBackground: #04395e; --vscode-list-activeSelectionForeground: #ffffff; --vscode-list-hoverBackground: #2a2d2e;
    --vscode-editorWarning-foreground: #cca700;
  }
}
@media (forced-colors: active) {
  :root { --vscode-contrastBorder: CanvasText; --vscode-focusBorder: Highlight; }
}
`;
