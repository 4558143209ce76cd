// The stepped graph page of diffstudy. Every text from the data goes in with textContent:
// nothing a case holds is ever parsed as HTML.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("data").textContent);
  const $ = (id) => document.getElementById(id);
  const nodes = data.nodes, edges = data.edges;
  const slider = $("slider"), directionChoice = $("direction"), outputChoice = $("output");
  let steps = [], current = 0;

  function el(tag, className, ...children) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    for (const child of children) e.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return e;
  }

  // ------------------------------------------------------------ the steps
  function buildSteps() {
    const list = [{ kind: "intro" }];
    nodes.forEach((_, k) => list.push({ kind: "forward", node: k }));
    if (data.drawn < data.total) list.push({ kind: "beyond" });
    const sweep = data.sweeps[outputChoice.value];
    if (sweep) {
      list.push({ kind: sweep.start === null ? "jump" : "seed" });
      sweep.steps.forEach((_, i) => list.push({ kind: "backward", index: i }));
    }
    list.push({ kind: "end" });
    return list;
  }

  // The adjoints known after step s: replayed from the sweep's start, so any step can be reached at once.
  function adjointsAt(s) {
    const known = {};
    const sweep = data.sweeps[outputChoice.value];
    if (!sweep) return known;
    for (let i = 0; i <= s; i++) {
      const step = steps[i];
      if (step.kind === "seed") known[sweep.start] = sweep.seedBoxed;
      else if (step.kind === "jump") Object.assign(known, sweep.jump);
      else if (step.kind === "backward") {
        const pulled = sweep.steps[step.index];
        known[edges[pulled.edge].source] = pulled.boxed;
      }
    }
    return known;
  }

  function forwardDone(s) {
    let done = -1;
    for (let i = 0; i <= s; i++) if (steps[i].kind === "forward") done = steps[i].node;
    return steps.slice(0, s + 1).some((t) => t.kind !== "intro" && t.kind !== "forward") ? nodes.length - 1 : done;
  }

  // ------------------------------------------------------------ drawing a step
  function render() {
    const step = steps[current];
    const done = forwardDone(current);
    const adjoints = adjointsAt(current);
    const direction = directionChoice.value;
    const sweep = data.sweeps[outputChoice.value];
    const pulled = step.kind === "backward" ? sweep.steps[step.index] : null;
    const activeEdge = pulled ? pulled.edge : null;

    nodes.forEach((node, k) => {
      const g = $("n" + k);
      const computed = k <= done;
      g.classList.toggle("pending", !computed);
      g.classList.toggle("active", (step.kind === "forward" && step.node === k) || (pulled && edges[pulled.edge].target === k));
      g.classList.toggle("backward", !!pulled);
      g.classList.toggle("tail", !!pulled && edges[pulled.edge].source === k);
      $("n" + k + "-val").textContent = computed ? node.value : "";
      const tangent = node.tangents[direction];
      $("n" + k + "-tan").textContent = computed && tangent !== undefined ? "∂" + node.name + "/∂" + direction + " = " + tangent : "";
      $("n" + k + "-adj").textContent = k in adjoints ? "∂" + outputChoice.value + "/∂" + node.name + " = " + adjoints[k] : "";
    });
    const pulledEdges = new Set();
    if (sweep) for (let i = 0; i <= current; i++) if (steps[i].kind === "backward") pulledEdges.add(sweep.steps[steps[i].index].edge);
    edges.forEach((edge, k) => {
      const g = $("e" + k);
      g.classList.toggle("pending", edge.target > done);
      g.classList.toggle("forward", step.kind === "forward" && edge.target === step.node);
      g.classList.toggle("backward", k === activeEdge);
      g.classList.toggle("pulled", pulledEdges.has(k) && k !== activeEdge);
    });

    const activeNode = step.kind === "forward" ? step.node : pulled ? edges[pulled.edge].target : null;
    // In view: the node computed, or the edge pulled back, its receiving tail last (it wins where both
    // do not fit); at the end, the inputs, which hold the gradient.
    const inView = activeNode === null ? [] : [activeNode];
    if (pulled) inView.push(edges[pulled.edge].source);
    if (step.kind === "end") inView.push(0);
    inView.forEach((k) => $("n" + k).scrollIntoView({ block: "nearest", inline: "nearest" }));
    lightLine(activeNode === null ? null : nodes[activeNode].line, !!pulled);
    explain(step, pulled, adjoints);
    $("phase-forward").classList.toggle("on", step.kind === "forward" || step.kind === "beyond" || step.kind === "intro");
    $("phase-backward").classList.toggle("on", ["seed", "jump", "backward"].includes(step.kind));
    $("phase-end").classList.toggle("on", step.kind === "end");
    $("final").hidden = step.kind !== "end";
    if (step.kind === "end") fillFinal(adjoints);
    slider.value = current;
    $("counter").textContent = "step " + current + " of " + (steps.length - 1);
    $("previous").disabled = $("first").disabled = current === 0;
    $("next").disabled = $("last").disabled = current === steps.length - 1;
    document.body.dataset.step = step.kind;
  }

  function lightLine(line, backward) {
    document.querySelectorAll("#source .line").forEach((row) => {
      const lit = line !== null && line !== undefined && Number(row.dataset.line) === line;
      row.classList.toggle("lit", lit);
      row.classList.toggle("backward", lit && backward);
      if (lit) row.scrollIntoView({ block: "nearest" });
    });
  }

  function math(...parts) { return el("p", "math", ...parts); }
  function tangentText(node) { return node.tangents[directionChoice.value]; }

  function explain(step, pulled, adjoints) {
    const box = $("explain");
    box.replaceChildren();
    box.className = ["forward", "beyond", "intro"].includes(step.kind) ? "forward" : step.kind === "end" ? "end" : "backward";
    const out = outputChoice.value, along = directionChoice.value;
    if (step.kind === "intro") {
      box.append(
        el("h2", "", "The program, recorded as a graph"),
        el("p", "", "Each box is a number the program computed; each arrow carries the local partial derivative of its head with respect to its tail."),
        el("p", "", "Step forward (▶ or →) to run the program node by node: its value, and forward mode's tangent along " + along + "."),
        el("p", "hint", "Then the backward sweep pulls ∂" + out + "/∂node back along every edge: partial × adjoint."),
      );
    } else if (step.kind === "forward") {
      const node = nodes[step.node];
      const named = node.title.includes(" (") ? " (" + node.title.split(" (")[1].slice(0, -1) + " in the program)" : "";
      box.append(el("h2", "", "Forward: " + node.name + named + (node.input ? ", an input" : " " + node.operationFull)));
      box.append(math(node.name + " = " + node.valueFull));
      const incoming = edges.filter((e) => e.target === step.node);
      const tangent = tangentText(node);
      if (node.input) {
        box.append(math(el("span", "tangent", "∂" + node.name + "/∂" + along + " = " + tangent), el("span", "hint", node.name === along || along.startsWith(node.name + "[") ? "  (the input we differentiate by: its tangent is the seed)" : "  (another input: it does not move with " + along + ")")));
      } else if (tangent !== undefined) {
        const terms = incoming.map((e) => (e.number ? e.partialFull + " × " : "(" + e.partialFull + ") · ") + tangentText(nodes[e.source]));
        box.append(math(el("span", "tangent", "∂" + node.name + "/∂" + along + " = " + terms.join("  +  "))));
        box.append(math(el("span", "tangent", "  = " + node.tangentsLong[along])));
        box.append(el("p", "hint", "Forward mode: the sum over the arrows into " + node.name + " of local partial × the tangent of the arrow's tail."));
      }
      explainTerms(box, node, incoming);
    } else if (step.kind === "beyond") {
      box.append(el("h2", "", "Forward: " + (data.total - data.drawn) + " more nodes, not drawn"), el("p", "", "The program runs on to its output; the page draws its first " + data.drawn + " nodes."));
    } else if (step.kind === "seed") {
      const sweep = data.sweeps[out];
      box.append(
        el("h2", "", "Backward: start at the output"),
        math(el("span", "adjoint", "∂" + out + "/∂" + sweep.startName + " = " + sweep.seed)),
        el("p", "", "The adjoint of a node is how much " + out + " changes per unit change of that node. For " + out + " itself it is 1."),
      );
    } else if (step.kind === "jump") {
      box.append(el("h2", "", "Backward: through the nodes not drawn"), el("p", "", "The sweep from " + out + " back through the nodes not drawn has given the drawn nodes these adjoints so far."));
    } else if (step.kind === "backward") {
      const edge = edges[pulled.edge], head = nodes[edge.target], tail = nodes[edge.source];
      box.append(el("h2", "", "Backward: the edge " + tail.name + " → " + head.name));
      box.append(math("local partial ∂" + head.name + "/∂" + tail.name + " = " + edge.partialFull));
      box.append(math(el("span", "adjoint", "× adjoint ∂" + out + "/∂" + head.name + " = " + pulled.adjoint)));
      box.append(math(edge.number
        ? "term = partial × adjoint = " + edge.partialFull + " × " + pulled.adjoint + " = " + pulled.term
        : "term = the partial's transpose applied to the adjoint = " + pulled.term));
      box.append(math(el("span", "adjoint", "∂" + out + "/∂" + tail.name + " = " + (pulled.before === null ? pulled.term + "  (its first term)" : pulled.before + " + " + pulled.term + " = " + pulled.after))));
      explainTerms(box, head, [edge]);
      if (pulled.before === null) box.append(el("p", "hint", "The first arrow out of " + tail.name + " to be pulled back: its adjoint starts here."));
      else box.append(el("p", "hint", tail.name + " is used more than once: the pulls add up (the chain rule's sum)."));
    } else if (step.kind === "end") {
      const values = data.final.inputs.map((input) => "∂" + out + "/∂" + input.name + " = " + (adjoints[input.node] === undefined ? "0" : adjoints[input.node]));
      // (the boxes' short texts: the whole numbers are in the table below)
      box.append(el("h2", "", "The gradient: the adjoints of the inputs"), math(values.join(",   ")));
      box.append(el("p", "", "One backward sweep gave every input's derivative. Below: the same numbers by forward mode, one pass per input entry, and by sympy's exact derivative."));
    }
  }

  // What the words of an array operation mean, said where they first matter.
  function explainTerms(box, node, incoming) {
    if (/\bconst\b/.test(node.operationFull)) {
      box.append(el("p", "hint", "const: an array the program holds as data (not an input, so nothing is differentiated by it)."));
    }
    if (incoming.some((e) => e.partialFull.includes("↦"))) {
      box.append(el("p", "hint", "t ↦ …: the partial of an array operation is a linear map, what the operation does to a small change t of that argument; the backward sweep applies its transpose."));
    }
  }

  // ------------------------------------------------------------ the closing table
  function fillFinal(adjoints) {
    const box = $("final");
    const out = outputChoice.value, row = Math.max(0, data.outputs.indexOf(out));
    const sweep = data.sweeps[out];
    const table = el("table", "gradient");
    table.append(el("tr", "", el("th", "", "∂" + out + "/∂ input"), el("th", "", "this backward sweep"), el("th", "", "forward mode"), el("th", "", "sympy, exact")));
    for (const input of data.final.inputs) {
      const last = sweep ? [...sweep.steps].reverse().find((s) => edges[s.edge].source === input.node) : undefined;
      input.labels.forEach((label, j) => {
        const swept = last ? last.entries[j] : "0";
        const forward = input.forward[row] ? input.forward[row][j] : "—";
        const exact = input.sympy[row] ? input.sympy[row][j] : "—";
        const cell = el("td", "sweep", shorten(swept));
        cell.dataset.value = swept;
        cell.dataset.entry = label;
        const sympyCell = el("td", "", exact);
        if (input.sympyFull[row] && numbersAgree(swept, input.sympyFull[row][j])) sympyCell.classList.add("same");
        table.append(el("tr", "", el("td", "", label), cell, el("td", "", forward), sympyCell));
      });
    }
    const children = [el("h2", "", out + " = " + (sweep ? sweep.value : "?") + ", and its gradient four ways"), table];
    if (data.final.hidden > 0) children.push(el("p", "notes", "… and " + data.final.hidden + " more input entries (the comparison below covers all)."));
    if (data.final.symbolicStatus !== "ok") children.push(el("p", "notes", "sympy: " + data.final.symbolicStatus));
    const [head, ...rows] = data.final.comparison;
    const methods = el("table", "methods");
    const scroll = el("div", "scroll", methods);
    methods.append(el("tr", "", ...head.map((h) => el("th", "", h))));
    rows.forEach((r) => methods.append(el("tr", "", ...r.map((c) => el("td", "", c)))));
    children.push(el("p", "notes", "Every method, run on numbers that count their operations (" + data.compare + "):"), scroll);
    data.final.notes.forEach((n) => children.push(el("p", "notes", n)));
    box.replaceChildren(...children);
  }

  // A long float to 6 digits, a long fraction to its float's (the whole number stays in data-value).
  function shorten(text) {
    if (text.length <= 14) return text;
    const approximate = String(Number(toNumber(text).toPrecision(6)));
    return text.includes("/") ? "≈ " + approximate : approximate;
  }

  function numbersAgree(a, b) {
    const x = toNumber(a), y = toNumber(b);
    if (!isFinite(x) || !isFinite(y)) return false;
    return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y)) || x === y;
  }
  function toNumber(text) {
    if (typeof text !== "string") return NaN;
    const parts = text.split("/");
    return parts.length === 2 ? Number(parts[0]) / Number(parts[1]) : Number(text);
  }

  // ------------------------------------------------------------ controls
  function go(step) {
    current = Math.max(0, Math.min(steps.length - 1, step));
    render();
  }

  function fillSource() {
    const box = $("source");
    if (!data.source.length) {
      box.append(el("span", "line", "(the source of this function is not available)"));
      return;
    }
    data.source.forEach((text, i) => {
      const line = el("span", "line", el("span", "number", data.firstLine + i), text);
      line.dataset.line = data.firstLine + i;
      box.append(line);
    });
  }

  function fillChoices() {
    data.directions.forEach((d) => directionChoice.append(new Option(d, d)));
    data.outputs.forEach((o) => outputChoice.append(new Option(o, o)));
    if (data.outputs.length < 2) $("output-choice").hidden = true;
    if (!data.directions.length) directionChoice.parentElement.hidden = true;
  }

  function restart() {
    steps = buildSteps();
    slider.max = steps.length - 1;
    go(Math.min(current, steps.length - 1));
  }

  // A small graph is drawn larger, to fill its box (at most 1.6 times); a large one scrolls.
  function fit() {
    const svg = $("graph"), box = $("graph-box");
    const natural = Number(svg.getAttribute("width")), tall = Number(svg.getAttribute("height"));
    const scale = Math.max(1, Math.min(1.6, (box.clientWidth - 20) / natural, (window.innerHeight * 0.55) / tall));
    svg.style.width = natural * scale + "px";
    svg.style.height = tall * scale + "px";
  }

  fillSource();
  fillChoices();
  fit();
  window.addEventListener("resize", fit);
  $("first").addEventListener("click", () => go(0));
  $("previous").addEventListener("click", () => go(current - 1));
  $("next").addEventListener("click", () => go(current + 1));
  $("last").addEventListener("click", () => go(steps.length - 1));
  slider.addEventListener("input", () => go(Number(slider.value)));
  directionChoice.addEventListener("change", render);
  outputChoice.addEventListener("change", restart);
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLSelectElement || event.target instanceof HTMLInputElement) return;
    const moves = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: steps.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      go(moves[event.key]);
    }
  });
  restart();
  // A link may open at a step: page.html#step=7, or #step=end.
  const asked = /^#step=(\d+|end)$/.exec(location.hash);
  if (asked) go(asked[1] === "end" ? steps.length - 1 : Number(asked[1]));
})();
