// The segment rule-tree editor: groups (and/or, not) of conditions chosen from the
// hub's allow-list of fields and operators. It writes the tree as JSON into the form's
// textarea (the stored format) and asks the server for a live count and sample.
(() => {
  "use strict";

  // Django's JavaScript catalogue (the admin loads it on every page) translates; without it
  // the English source strings show.
  const gettext = (text) => (window.gettext ? window.gettext(text) : text);
  const interpolate = (format, values) =>
    window.interpolate ? window.interpolate(format, values) : format.replace("%s", values[0]);

  const h = (tag, attrs = {}, children = []) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
    }
    for (const child of [].concat(children)) if (child) node.append(child);
    return node;
  };

  const select = (options, current, onChange, label) => {
    const node = h("select", { "aria-label": label, onchange: (event) => onChange(event.target.value) });
    for (const [value, text] of options) {
      const option = h("option", { value, text });
      if (value === current) option.selected = true;
      node.append(option);
    }
    return node;
  };

  const button = (text, onClick, extra = "") =>
    h("button", { type: "button", class: `button button-small button-secondary ${extra}`, text, onclick: onClick });

  // A labelled input that writes into obj[key]; blank removes the key (optional values).
  const input = (obj, key, label, type, changed, attrs = {}) =>
    h("label", { class: "segment-rules__input" }, [
      h("span", { text: label }),
      h("input", {
        type,
        value: obj[key] ?? "",
        ...attrs,
        onchange: (event) => {
          const raw = event.target.value.trim();
          if (raw === "") delete obj[key];
          else obj[key] = type === "number" && attrs.step !== "0.01" ? Number(raw) : raw;
          changed();
        },
      }),
    ]);

  // "In the last N days": whole days in the hub's time zone, the rule language's windows.
  const windowHelp = () => gettext("Whole days in the hub's time zone: from midnight that many days ago up to now.");
  const withinDays = (obj, changed, attrs = {}) =>
    input(obj, "within_days", gettext("in the last (days)"), "number", changed, { min: 1, title: windowHelp(), ...attrs });

  // "In the last N hours": a moment, not whole days; for automations such as a cart
  // abandoned in the last 2 hours. The rule takes days or hours, not both.
  const withinHours = (obj, changed) =>
    input(obj, "within_hours", gettext("or in the last (hours)"), "number", changed, {
      min: 1,
      max: 168,
      title: gettext("Counted back from now to the minute; leave the days empty."),
    });

  const today = () => new Date().toISOString().slice(0, 10);

  function defaultValue(field, operator) {
    switch (field.widget) {
      case "choices":
      case "strings":
        return [];
      case "event":
        return { kind: field.choices[0][0] };
      case "count":
      case "revenue":
        return { value: operator === "between" ? [0, 1] : 1 };
      case "last_order":
        return operator === "before" || operator === "after" ? today() : 30;
      case "viewed":
        return { within_days: 30 };
      case "survey":
        return { kind: "nps", min_score: 0, max_score: 6, within_days: 90 };
      default:
        return {};
    }
  }

  function setup(root) {
    const textarea = root.querySelector("textarea");
    const treeBox = root.querySelector("[data-tree]");
    const fields = JSON.parse(document.getElementById(root.dataset.fieldsId).textContent);
    const byName = Object.fromEntries(fields.map((field) => [field.name, field]));
    const form = root.closest("form");
    const panel = document.querySelector("[data-segment-preview]");
    let tree;
    let timer;
    let asked = 0; // answers can overtake each other: only the latest question counts

    const parse = (text) => {
      let parsed;
      try {
        parsed = JSON.parse(text || "{}");
      } catch {
        return null;
      }
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return null;
      if ("field" in parsed) return { op: "and", rules: [parsed] };
      return { op: parsed.op || "and", rules: parsed.rules || [], ...(parsed.negate ? { negate: true } : {}) };
    };

    const changed = () => {
      textarea.value = JSON.stringify(tree, null, 2);
      schedulePreview();
    };
    const rerender = () => {
      treeBox.replaceChildren(renderGroup(tree, null));
      changed();
    };

    function renderGroup(group, parent) {
      const list = h("ol", { class: "segment-rules__children" });
      group.rules.forEach((child) => {
        list.append(h("li", {}, "field" in child ? renderCondition(child, group) : renderGroup(child, group)));
      });
      const negate = h("input", {
        type: "checkbox",
        onchange: (event) => {
          if (event.target.checked) group.negate = true;
          else delete group.negate;
          changed();
        },
      });
      negate.checked = Boolean(group.negate);
      return h("fieldset", { class: "segment-rules__group" }, [
        h("div", { class: "segment-rules__bar" }, [
          select(
            [["and", gettext("All of these (and)")], ["or", gettext("Any of these (or)")]],
            group.op,
            (value) => {
              group.op = value;
              changed();
            },
            gettext("Combine"),
          ),
          h("label", { class: "segment-rules__negate" }, [negate, h("span", { text: ` ${gettext("not")}` })]),
          button(gettext("+ Condition"), () => {
            const field = fields[0];
            const operator = field.operators[0].name;
            group.rules.push({ field: field.name, operator, value: defaultValue(field, operator) });
            rerender();
          }),
          button(gettext("+ Group"), () => {
            group.rules.push({ op: "or", rules: [] });
            rerender();
          }),
          parent &&
            button(gettext("Remove group"), () => {
              parent.rules.splice(parent.rules.indexOf(group), 1);
              rerender();
            }, "no"),
        ]),
        group.rules.length
          ? list
          : h("p", { class: "help", text: group.op === "and" ? gettext("Empty: matches every contact.") : gettext("Empty: matches nobody.") }),
      ]);
    }

    function renderCondition(condition, parent) {
      const field = byName[condition.field] || fields[0];
      return h("div", { class: "segment-rules__condition" }, [
        select(
          fields.map((item) => [item.name, item.label]),
          field.name,
          (value) => {
            const next = byName[value];
            condition.field = value;
            condition.operator = next.operators[0].name;
            condition.value = defaultValue(next, condition.operator);
            rerender();
          },
          gettext("Field"),
        ),
        select(
          field.operators.map((item) => [item.name, item.label]),
          condition.operator,
          (value) => {
            const shapeChanges = ["count", "revenue", "last_order"].includes(field.widget);
            condition.operator = value;
            if (shapeChanges) condition.value = defaultValue(field, value);
            rerender();
          },
          gettext("Operator"),
        ),
        valueEditor(field, condition),
        button(gettext("Remove"), () => {
          parent.rules.splice(parent.rules.indexOf(condition), 1);
          rerender();
        }, "no"),
      ]);
    }

    function valueEditor(field, condition) {
      const box = h("span", { class: "segment-rules__value" });
      switch (field.widget) {
        case "choices": {
          if (!Array.isArray(condition.value)) condition.value = [];
          for (const [value, label] of field.choices) {
            const box_ = h("input", {
              type: "checkbox",
              onchange: (event) => {
                const values = new Set(condition.value);
                if (event.target.checked) values.add(value);
                else values.delete(value);
                condition.value = [...values];
                changed();
              },
            });
            box_.checked = condition.value.includes(value);
            box.append(h("label", { class: "segment-rules__choice" }, [box_, h("span", { text: ` ${label}` })]));
          }
          break;
        }
        case "strings":
          box.append(
            h("input", {
              type: "text",
              placeholder: gettext("comma-separated, e.g. DE, AT"),
              value: (condition.value || []).join(", "),
              "aria-label": gettext("Values"),
              onchange: (event) => {
                condition.value = event.target.value.split(",").map((part) => part.trim()).filter(Boolean);
                changed();
              },
            }),
          );
          break;
        case "countries": {
          // ISO 3166 countries by name (in the admin's language); stored as their codes.
          if (!Array.isArray(condition.value)) condition.value = [];
          const chosen = new Set(condition.value);
          const known = new Set(field.choices.map(([code]) => code));
          const list = h("select", {
            multiple: true,
            size: 6,
            "aria-label": gettext("Countries"),
            class: "segment-rules__countries",
            onchange: (event) => {
              condition.value = [...event.target.selectedOptions].map((option) => option.value);
              changed();
            },
          });
          // A code in stored rules that is no ISO country any more stays visible and chosen.
          for (const [code, name] of [
            ...condition.value.filter((code) => !known.has(code)).map((code) => [code, code]),
            ...field.choices,
          ]) {
            const option = h("option", { value: code, text: name === code ? code : `${name} (${code})` });
            option.selected = chosen.has(code);
            list.append(option);
          }
          box.append(list);
          break;
        }
        case "event": {
          const value = condition.value;
          box.append(
            select(field.choices, value.kind, (kind) => {
              value.kind = kind;
              changed();
            }, gettext("Event kind")),
            input(value, "min_count", gettext("at least (times)"), "number", changed, { min: 1 }),
            withinDays(value, changed),
            withinHours(value, changed),
            input(value, "sku", gettext("SKU"), "text", changed),
            input(value, "category", gettext("category (slug)"), "text", changed),
          );
          break;
        }
        case "count":
        case "revenue": {
          const value = condition.value;
          const step = field.widget === "revenue" ? "0.01" : "1";
          const bound = (index) =>
            h("input", {
              type: "number",
              step,
              "aria-label": index === 1 ? gettext("highest") : gettext("lowest"),
              value: Array.isArray(value.value) ? value.value[index] : value.value,
              onchange: (event) => {
                const number = field.widget === "revenue" ? event.target.value : Number(event.target.value);
                if (Array.isArray(value.value)) value.value[index] = number;
                else value.value = number;
                changed();
              },
            });
          box.append(bound(0));
          if (condition.operator === "between") box.append(h("span", { text: ` ${gettext("and")} ` }), bound(1));
          box.append(withinDays(value, changed));
          break;
        }
        case "last_order": {
          const onDate = condition.operator === "before" || condition.operator === "after";
          box.append(
            h("input", {
              type: onDate ? "date" : "number",
              min: 1,
              value: condition.value,
              "aria-label": gettext("Value"),
              title: onDate ? null : windowHelp(),
              onchange: (event) => {
                condition.value = event.target.type === "number" ? Number(event.target.value) : event.target.value;
                changed();
              },
            }),
          );
          break;
        }
        case "window":
          box.append(withinDays(condition.value, changed), withinHours(condition.value, changed));
          break;
        case "viewed":
          box.append(
            withinDays(condition.value, changed, { required: true }),
            input(condition.value, "sku", gettext("SKU"), "text", changed),
            input(condition.value, "category", gettext("category (slug)"), "text", changed),
          );
          break;
        case "survey": {
          const value = condition.value;
          box.append(
            select(field.choices, value.kind, (kind) => {
              value.kind = kind;
              changed();
            }, gettext("Survey kind")),
            input(value, "min_score", gettext("score from"), "number", changed, { min: 0, max: 10, required: true }),
            input(value, "max_score", gettext("to"), "number", changed, { min: 0, max: 10, required: true }),
            withinDays(value, changed),
            input(value, "survey", gettext("survey (id, optional)"), "number", changed, { min: 1 }),
          );
          break;
        }
        default:
          break;
      }
      return box;
    }

    // --- live count and sample -------------------------------------------------------
    const kindField = form && form.elements.namedItem("kind");
    const includeAllField = form && form.elements.namedItem("include_all");

    function schedulePreview() {
      clearTimeout(timer);
      timer = setTimeout(preview, 400);
    }

    async function preview() {
      if (!panel) return;
      const kind = kindField ? kindField.value : "dynamic";
      root.hidden = kind === "static";
      const count = panel.querySelector("[data-count]");
      const errors = panel.querySelector("[data-errors]");
      const sample = panel.querySelector("[data-sample]");
      const note = panel.querySelector("[data-note]");
      const dataUntil = panel.querySelector("[data-data-until]");
      let rules;
      try {
        rules = JSON.parse(textarea.value || "{}");
      } catch {
        errors.replaceChildren(h("li", { text: gettext("The JSON is not valid.") }));
        errors.hidden = false;
        return;
      }
      const token = form.querySelector("[name=csrfmiddlewaretoken]").value;
      const question = ++asked;
      const response = await fetch(root.dataset.previewUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token },
        body: JSON.stringify({
          rules,
          kind,
          include_all: includeAllField ? includeAllField.checked : false,
          segment: panel.dataset.segmentId || null,
        }),
      });
      const data = await response.json().catch(() => ({ errors: [interpolate(gettext("The server answered %s."), [response.status])] }));
      if (question !== asked) return;
      errors.replaceChildren(...(data.errors || []).map((text) => h("li", { text })));
      errors.hidden = !data.errors;
      if (data.errors) {
        count.textContent = "–";
        dataUntil.textContent = "";
        sample.hidden = true;
        return;
      }
      count.textContent = data.count.toLocaleString();
      note.textContent = data.count > data.sample.length ? interpolate(gettext("(showing %s)"), [data.sample.length]) : "";
      // From the bitmaps: the moment of the data they were last refreshed with.
      dataUntil.textContent = data.data_until ? `(${data.data_until})` : "";
      sample.tBodies[0].replaceChildren(
        ...data.sample.map((row) =>
          h("tr", {}, [
            h("td", {}, h("a", { href: row.url, text: row.name || row.email })),
            h("td", { text: row.email }),
            h("td", { text: row.account }),
            h("td", { text: row.role }),
            h("td", { text: row.phase }),
            h("td", { text: row.consent }),
          ]),
        ),
      );
      sample.hidden = data.sample.length === 0;
    }

    // Enter in a value field confirms the value (as leaving the field would) instead of
    // submitting the whole segment form half-edited.
    treeBox.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.target.tagName !== "INPUT") return;
      event.preventDefault();
      event.target.dispatchEvent(new Event("change", { bubbles: true }));
    });

    textarea.addEventListener("change", () => {
      const parsed = parse(textarea.value);
      if (parsed) {
        tree = parsed;
        treeBox.replaceChildren(renderGroup(tree, null));
      }
      schedulePreview();
    });
    if (kindField) kindField.addEventListener("change", schedulePreview);
    if (includeAllField) includeAllField.addEventListener("change", schedulePreview);

    tree = parse(textarea.value) || { op: "and", rules: [] };
    treeBox.replaceChildren(renderGroup(tree, null));
    schedulePreview();
  }

  const start = () => document.querySelectorAll("[data-segment-rules]").forEach(setup);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
