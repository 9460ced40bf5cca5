/* The questionnaire editor of the campaign form, and the language switch of the read-only
 * questionnaire (campaign page, a live campaign's form).
 *
 * Progressive enhancement: the form's two JSON boxes, <textarea data-qe-questions> (a list of
 * questions in campaigns/questionnaire.py's shape) and <textarea data-qe-texts> ({lang: {intro,
 * consent, repeat, goodbye}}), are what is submitted. Without JavaScript they are typed by hand;
 * with it they are hidden and this editor writes them on every change. What the editor needs
 * besides (type labels, the services' errors by key…) is the JSON of
 * <script id="questionnaire-setup"> (Django's json_script). No inline script or style: the
 * site's Content-Security-Policy forbids them. */
(function () {
  "use strict";

  var MAX_RULES = 3;
  var OP_LABELS = { equals: "is", one_of: "is one of", below: "is below", above: "is above" };
  var uid = 0;

  /* --- a tiny DOM builder ------------------------------------------------------------------ */

  function h(tag, attrs, children) {
    var element = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") element.textContent = value;
      else if (name.slice(0, 2) === "on") element.addEventListener(name.slice(2), value);
      else if (name === "value") element.value = value;
      else if (name === "checked") element.checked = Boolean(value);
      else element.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      element.append(child);
    });
    return element;
  }

  /* element.append, leaving out what is not there (an error list without errors). */
  function add(element) {
    Array.prototype.slice.call(arguments, 1).forEach(function (child) {
      if (child !== null && child !== undefined && child !== false) element.append(child);
    });
    return element;
  }

  function field(label, control, extra) {
    return h("label", Object.assign({ class: "qe-field" }, extra || {}), [
      h("span", { class: "qe-label", text: label }),
      control,
    ]);
  }

  function integerOrNull(text) {
    var trimmed = String(text).trim();
    if (trimmed === "") return null;
    var number = Number(trimmed);
    return Number.isInteger(number) ? number : trimmed; // the server says what is wrong
  }

  /* --- the language switch of a read-only questionnaire ------------------------------------- */

  function setupLanguageSwitches(root) {
    root.querySelectorAll("[data-lang-switch]").forEach(function (bar) {
      if (bar.dataset.ready) return;
      bar.dataset.ready = "yes";
      var scope = bar.closest("[data-lang-scope]") || document;
      function show(code) {
        scope.querySelectorAll("[data-lang]").forEach(function (element) {
          element.hidden = element.dataset.lang !== code;
        });
        bar.querySelectorAll("[data-show-lang]").forEach(function (button) {
          button.setAttribute("aria-pressed", String(button.dataset.showLang === code));
        });
      }
      bar.addEventListener("click", function (event) {
        var button = event.target.closest("[data-show-lang]");
        if (button) show(button.dataset.showLang);
      });
      bar.hidden = false;
      show(bar.querySelector("[data-show-lang]").dataset.showLang);
    });
  }

  /* --- the editor --------------------------------------------------------------------------- */

  function normalizeQuestion(data) {
    var rules = (data.skip || []).map(function (rule) {
      var values = rule.values || (rule.value !== undefined ? [rule.value] : []);
      return { op: rule["if"] || "equals", value: values.map(String).join(", "), to: rule.to || "end" };
    });
    return {
      id: ++uid,
      key: String(data.key || ""),
      type: String(data.type || "yes_no"),
      text: Object.assign({}, data.text || {}),
      min: data.min === undefined ? null : data.min,
      max: data.max === undefined ? null : data.max,
      nps: Boolean(data.nps),
      max_length: data.max_length || 500,
      options: (data.options || []).map(function (option) {
        var synonyms = {};
        Object.keys(option.synonyms || {}).forEach(function (code) {
          synonyms[code] = (option.synonyms[code] || []).join(", ");
        });
        return {
          value: String(option.value || ""),
          digit: String(option.digit || ""),
          label: Object.assign({}, option.label || {}),
          synonyms: synonyms,
        };
      }),
      skip: rules,
    };
  }

  function Editor(form, setup) {
    this.form = form;
    this.setup = setup;
    this.root = form.querySelector("[data-qe-editor]");
    this.questionsBox = form.querySelector("[data-qe-questions]");
    this.textsBox = form.querySelector("[data-qe-texts]");
    this.defaultSelect = form.querySelector("[data-qe-default-language]");
    this.languageBoxes = Array.prototype.slice.call(form.querySelectorAll("input[name=languages]"));
    var questions = JSON.parse(this.questionsBox.value || "[]");
    var texts = JSON.parse(this.textsBox.value || "{}");
    if (!Array.isArray(questions) || typeof texts !== "object" || texts === null) {
      throw new Error("not the editor's shape");
    }
    this.questions = questions.map(normalizeQuestion);
    this.texts = texts;
    this.errors = setup.errors || {};
    this.active = this.defaultSelect ? this.defaultSelect.value : Object.keys(setup.languages)[0];
  }

  Editor.prototype.languages = function () {
    var chosen = this.defaultSelect ? [this.defaultSelect.value] : [];
    this.languageBoxes.forEach(function (box) {
      if (box.checked && chosen.indexOf(box.value) < 0) chosen.push(box.value);
    });
    return chosen;
  };

  Editor.prototype.start = function () {
    var editor = this;
    // The default language is always one of the survey's.
    function keepDefault() {
      editor.languageBoxes.forEach(function (box) {
        if (editor.defaultSelect && box.value === editor.defaultSelect.value) box.checked = true;
      });
      if (editor.languages().indexOf(editor.active) < 0) editor.active = editor.languages()[0];
    }
    keepDefault();
    this.languageBoxes.forEach(function (box) {
      box.addEventListener("change", function () {
        keepDefault();
        editor.render();
      });
    });
    if (this.defaultSelect) {
      this.defaultSelect.addEventListener("change", function () {
        keepDefault();
        editor.render();
      });
    }
    this.form.addEventListener("submit", function () {
      editor.sync();
    });
    this.form.querySelector("[data-qe-raw]").hidden = true;
    this.root.hidden = false;
    this.render();
  };

  /* What is submitted: the JSON boxes, in the services' shape, for the chosen languages. */
  Editor.prototype.sync = function () {
    var languages = this.languages();
    function pick(byLanguage) {
      var picked = {};
      languages.forEach(function (code) {
        if (byLanguage && byLanguage[code] !== undefined && byLanguage[code] !== "") {
          picked[code] = byLanguage[code];
        }
      });
      return picked;
    }
    var questions = this.questions.map(function (q) {
      var out = { key: q.key.trim(), type: q.type, text: pick(q.text) };
      if (q.type === "scale" || q.type === "number") {
        out.min = integerOrNull(q.min === null ? "" : q.min);
        out.max = integerOrNull(q.max === null ? "" : q.max);
      }
      if (q.type === "scale") out.nps = q.nps;
      if (q.type === "free_text") out.max_length = integerOrNull(q.max_length) || 500;
      if (q.type === "single_choice") {
        out.options = q.options.map(function (option) {
          var synonyms = {};
          languages.forEach(function (code) {
            var words = String(option.synonyms[code] || "")
              .split(",")
              .map(function (word) { return word.trim(); })
              .filter(Boolean);
            if (words.length) synonyms[code] = words;
          });
          return { value: option.value.trim(), digit: option.digit.trim(), label: pick(option.label), synonyms: synonyms };
        });
      }
      out.skip = q.skip.map(function (rule) {
        if (rule.op === "one_of") {
          var values = rule.value.split(",").map(function (v) { return v.trim(); }).filter(Boolean);
          return { if: rule.op, values: values, to: rule.to };
        }
        return { if: rule.op, value: rule.value.trim(), to: rule.to };
      });
      return out;
    });
    var texts = {};
    var self = this;
    languages.forEach(function (code) {
      var named = {};
      Object.keys(self.setup.textLabels).forEach(function (name) {
        var value = ((self.texts[code] || {})[name] || "").trim();
        if (value) named[name] = value;
      });
      if (Object.keys(named).length) texts[code] = named;
    });
    this.questionsBox.value = JSON.stringify(questions);
    this.textsBox.value = JSON.stringify(texts);
  };

  /* A change of structure: the errors the server gave no longer point where they did. */
  Editor.prototype.restructure = function () {
    this.errors = {};
    this.render();
  };

  /* The server's messages for `prefix` and below, each after the part it is about
   * ("options.2.digit: A keypad digit is 1 to 9." reads "option 2, digit: …"). */
  Editor.prototype.errorsFor = function (prefix) {
    var errors = this.errors;
    var names = this.setup.languages;
    var found = [];
    Object.keys(errors).forEach(function (key) {
      if (key !== prefix && key.indexOf(prefix + ".") !== 0) return;
      var part = key.slice(prefix.length + 1).split(".").filter(Boolean).map(function (word, i, all) {
        if (all[i - 1] === "options") return "option " + word;
        if (word === "options" && all.length > i + 1) return null;
        return names[word] || word.replace("_", " ");
      }).filter(Boolean).join(", ");
      errors[key].forEach(function (message) { found.push(part ? part + ": " + message : message); });
    });
    return found;
  };

  function errorList(messages) {
    if (!messages.length) return null;
    return h("ul", { class: "errorlist" }, messages.map(function (m) { return h("li", { text: m }); }));
  }

  Editor.prototype.render = function () {
    var editor = this;
    var languages = this.languages();
    var names = this.setup.languages;
    var scrollY = window.scrollY;
    this.root.replaceChildren();

    var tabs = h("div", { class: "qe-tabs", role: "tablist", "aria-label": "Language being written" },
      languages.map(function (code) {
        return h("button", {
          type: "button",
          role: "tab",
          "data-qe-tab": code,
          "aria-selected": String(code === editor.active),
          text: names[code] + (code === languages[0] ? " (default)" : ""),
          onclick: function () {
            editor.active = code;
            editor.showLanguage();
          },
        });
      }));
    add(this.root, tabs, errorList(this.errors.questions || []), errorList(this.errors.texts || []));

    // The campaign's own texts, per language.
    var textsBox = h("div", { class: "qe-texts" }, [h("h3", { text: "What is said around the questions" })]);
    languages.forEach(function (code) {
      var own = editor.texts[code] || (editor.texts[code] = {});
      var group = h("div", { class: "qe-lang", "data-lang": code });
      Object.keys(editor.setup.textLabels).forEach(function (name) {
        var hint = name === "intro" ? "required: who is calling, why, how long, how to opt out" : "empty: the standard wording";
        add(group, field(editor.setup.textLabels[name] + " (" + names[code] + ")",
          h("textarea", {
            rows: name === "intro" ? 3 : 2,
            "data-qe-text": name,
            placeholder: hint,
            value: own[name] || "",
            oninput: function (event) {
              own[name] = event.target.value;
              editor.sync();
            },
          })), errorList(editor.errorsFor("texts." + code + "." + name)));
      });
      add(group, errorList(editor.errors["texts." + code] || []));
      textsBox.append(group);
    });
    this.root.append(textsBox);

    var list = h("div", { class: "qe-questions" }, [h("h3", { text: "Questions" })]);
    this.questions.forEach(function (q, index) {
      list.append(editor.renderQuestion(q, index));
    });
    if (!this.questions.length) list.append(h("p", { class: "muted", text: "No questions yet." }));
    list.append(h("button", {
      type: "button",
      class: "qe-add",
      "data-qe-add-question": true,
      text: "Add a question",
      onclick: function () {
        editor.questions.push(normalizeQuestion({ key: editor.freeKey(), type: "yes_no" }));
        editor.restructure();
        var last = editor.root.querySelectorAll("[data-qe-question]");
        last[last.length - 1].querySelector("[data-field=key]").focus();
      },
    }));
    this.root.append(list);
    this.showLanguage();
    this.sync();
    window.scrollTo(window.scrollX, scrollY);
  };

  Editor.prototype.freeKey = function () {
    var keys = this.questions.map(function (q) { return q.key; });
    for (var n = this.questions.length + 1; ; n++) if (keys.indexOf("q" + n) < 0) return "q" + n;
  };

  Editor.prototype.showLanguage = function () {
    var active = this.active;
    this.root.querySelectorAll("[data-lang]").forEach(function (element) {
      element.hidden = element.dataset.lang !== active;
    });
    this.root.querySelectorAll("[data-qe-tab]").forEach(function (tab) {
      tab.setAttribute("aria-selected", String(tab.dataset.qeTab === active));
    });
  };

  Editor.prototype.move = function (index, by) {
    var target = index + by;
    if (target < 0 || target >= this.questions.length) return;
    var moved = this.questions.splice(index, 1)[0];
    this.questions.splice(target, 0, moved);
    this.restructure();
    var card = this.root.querySelectorAll("[data-qe-question]")[target];
    var button = card.querySelector(by < 0 ? "[data-qe-up]" : "[data-qe-down]");
    (button.disabled ? card.querySelector("[data-field=key]") : button).focus();
  };

  Editor.prototype.renderQuestion = function (q, index) {
    var editor = this;
    var languages = this.languages();
    var names = this.setup.languages;
    var number = index + 1;
    var where = "questions." + number;
    var card = h("section", { class: "qe-question", "data-qe-question": number, "aria-label": "Question " + number });

    card.append(h("header", { class: "qe-qhead" }, [
      h("h4", { text: "Question " + number }),
      h("div", { class: "qe-tools" }, [
        h("button", { type: "button", "data-qe-up": true, "aria-label": "Move question " + number + " up", text: "↑ Up",
          disabled: index === 0, onclick: function () { editor.move(index, -1); } }),
        h("button", { type: "button", "data-qe-down": true, "aria-label": "Move question " + number + " down", text: "↓ Down",
          disabled: index === editor.questions.length - 1, onclick: function () { editor.move(index, 1); } }),
        h("button", { type: "button", class: "danger", "data-qe-remove": true, "aria-label": "Remove question " + number, text: "Remove",
          onclick: function () {
            var key = q.key;
            editor.questions.splice(index, 1);
            editor.questions.forEach(function (other) {
              other.skip = other.skip.filter(function (rule) { return rule.to !== key; });
            });
            editor.restructure();
          } }),
      ]),
    ]));

    var typeSelect = h("select", {
      "data-field": "type",
      onchange: function (event) {
        q.type = event.target.value;
        q.skip = [];
        q.nps = false;
        if (q.type === "scale") { q.min = 1; q.max = 5; }
        else { q.min = null; q.max = null; }
        if (q.type === "single_choice" && q.options.length < 2) {
          while (q.options.length < 2) {
            q.options.push({ value: "", digit: String(q.options.length + 1), label: {}, synonyms: {} });
          }
        }
        editor.restructure();
        editor.root.querySelectorAll("[data-qe-question]")[index].querySelector("[data-field=type]").focus();
      },
    }, Object.keys(this.setup.types).map(function (type) {
      var option = h("option", { value: type, text: editor.setup.types[type] });
      option.selected = type === q.type;
      return option;
    }));
    card.append(h("div", { class: "qe-row" }, [
      field("Key", h("input", {
        type: "text", "data-field": "key", value: q.key, maxlength: 40, autocomplete: "off", spellcheck: "false",
        oninput: function (event) {
          var old = q.key;
          q.key = event.target.value;
          editor.questions.forEach(function (other) {
            other.skip.forEach(function (rule) { if (rule.to === old) rule.to = q.key; });
          });
          editor.refreshTargets();
          editor.sync();
        },
      })),
      field("Answer type", typeSelect),
    ]));

    languages.forEach(function (code) {
      card.append(field("Question (" + names[code] + ")", h("textarea", {
        rows: 2, "data-field": "text", value: q.text[code] || "",
        oninput: function (event) { q.text[code] = event.target.value; editor.sync(); },
      }), { "data-lang": code }));
    });

    card.append(this.renderSettings(q, index));
    card.append(this.renderRules(q, index));
    add(card, errorList(this.errorsFor(where)));
    return card;
  };

  function numberInput(q, name, attrs, editor) {
    return h("input", Object.assign({
      type: "number", inputmode: "numeric", step: 1, "data-field": name,
      value: q[name] === null || q[name] === undefined ? "" : String(q[name]),
      oninput: function (event) { q[name] = event.target.value; editor.sync(); },
    }, attrs || {}));
  }

  Editor.prototype.renderSettings = function (q, index) {
    var editor = this;
    var box = h("div", { class: "qe-settings", "data-qe-settings": q.type });
    if (q.type === "scale") {
      box.append(h("div", { class: "qe-row" }, [
        field("Lowest", numberInput(q, "min", { min: 0, max: 100 }, editor)),
        field("Highest", numberInput(q, "max", { min: 0, max: 100 }, editor)),
        h("label", { class: "qe-check" }, [
          h("input", { type: "checkbox", "data-field": "nps", checked: q.nps, onchange: function (event) {
            q.nps = event.target.checked;
            if (q.nps) { q.min = 0; q.max = 10; }
            editor.render();
          } }),
          " Net Promoter Score (0–10)",
        ]),
      ]));
    } else if (q.type === "number") {
      box.append(h("div", { class: "qe-row" }, [
        field("Lowest (optional)", numberInput(q, "min", {}, editor)),
        field("Highest (optional)", numberInput(q, "max", {}, editor)),
      ]));
    } else if (q.type === "free_text") {
      box.append(h("div", { class: "qe-row" }, [
        field("Longest answer kept (characters)", numberInput(q, "max_length", { min: 1, max: 1000 }, editor)),
      ]));
    } else if (q.type === "single_choice") {
      box.append(this.renderOptions(q, index));
    }
    return box;
  };

  Editor.prototype.renderOptions = function (q, index) {
    var editor = this;
    var languages = this.languages();
    var names = this.setup.languages;
    var box = h("div", { class: "qe-options" }, [h("p", { class: "qe-label", text: "Options (" + this.setup.minOptions + " to " + this.setup.maxOptions + ")" })]);
    q.options.forEach(function (option, n) {
      var row = h("div", { class: "qe-option", "data-qe-option": n + 1 }, [
        field("Value", h("input", { type: "text", "data-field": "value", value: option.value, autocomplete: "off",
          oninput: function (event) { option.value = event.target.value; editor.refreshAnswers(q, index); editor.sync(); } })),
        field("Key", h("input", { type: "text", "data-field": "digit", value: option.digit, inputmode: "numeric", maxlength: 1, class: "qe-digit",
          oninput: function (event) { option.digit = event.target.value; editor.sync(); } })),
      ]);
      languages.forEach(function (code) {
        row.append(field("Label (" + names[code] + ")", h("input", { type: "text", "data-field": "label", value: option.label[code] || "",
          oninput: function (event) { option.label[code] = event.target.value; editor.sync(); } }), { "data-lang": code }));
        row.append(field("Synonyms (" + names[code] + ", comma-separated)", h("input", { type: "text", "data-field": "synonyms", value: option.synonyms[code] || "",
          oninput: function (event) { option.synonyms[code] = event.target.value; editor.sync(); } }), { "data-lang": code }));
      });
      row.append(h("button", { type: "button", class: "danger qe-remove-option", "aria-label": "Remove option " + (n + 1), text: "×",
        disabled: q.options.length <= editor.setup.minOptions,
        onclick: function () { q.options.splice(n, 1); editor.restructure(); } }));
      box.append(row);
    });
    if (q.options.length < this.setup.maxOptions) {
      box.append(h("button", { type: "button", "data-qe-add-option": true, text: "Add an option", onclick: function () {
        var used = q.options.map(function (o) { return o.digit; });
        var digit = "";
        for (var d = 1; d <= 9; d++) if (used.indexOf(String(d)) < 0) { digit = String(d); break; }
        q.options.push({ value: "", digit: digit, label: {}, synonyms: {} });
        editor.restructure();
      } }));
    }
    return box;
  };

  /* The answers a question can take, offered for its skip rules' values. */
  function possibleAnswers(q) {
    if (q.type === "yes_no") return ["yes", "no"];
    if (q.type === "single_choice") return q.options.map(function (o) { return o.value; }).filter(Boolean);
    return [];
  }

  Editor.prototype.refreshAnswers = function (q) {
    var list = document.getElementById("qe-answers-" + q.id);
    if (!list) return;
    list.replaceChildren.apply(list, possibleAnswers(q).map(function (value) { return h("option", { value: value }); }));
  };

  Editor.prototype.targetOptions = function (index, chosen) {
    var options = [];
    this.questions.forEach(function (other, n) {
      if (n <= index) return;
      var option = h("option", { value: other.key, text: "question " + (n + 1) + " (" + other.key + ")" });
      option.selected = other.key === chosen;
      options.push(option);
    });
    var end = h("option", { value: "end", text: "the end" });
    end.selected = chosen === "end";
    options.push(end);
    return options;
  };

  Editor.prototype.refreshTargets = function () {
    var editor = this;
    this.root.querySelectorAll("[data-qe-question]").forEach(function (card, index) {
      var q = editor.questions[index];
      card.querySelectorAll("select[data-field=to]").forEach(function (select, n) {
        select.replaceChildren.apply(select, editor.targetOptions(index, q.skip[n].to));
      });
    });
  };

  Editor.prototype.renderRules = function (q, index) {
    var editor = this;
    var box = h("div", { class: "qe-rules" }, [h("p", { class: "qe-label", text: "Skip rules" })]);
    if (q.type === "free_text") {
      box.append(h("p", { class: "muted", text: "A free-text answer cannot be compared: no skip rules." }));
      return box;
    }
    var numeric = q.type === "scale" || q.type === "number";
    var listId = "qe-answers-" + q.id;
    box.append(h("datalist", { id: listId }, possibleAnswers(q).map(function (value) { return h("option", { value: value }); })));
    q.skip.forEach(function (rule, n) {
      var ops = editor.setup.skipOps.filter(function (op) { return numeric || (op !== "below" && op !== "above"); });
      box.append(h("div", { class: "qe-rule", "data-qe-rule": n + 1 }, [
        h("span", { text: "If the answer" }),
        h("select", { "data-field": "op", "aria-label": "Condition", onchange: function (event) { rule.op = event.target.value; editor.sync(); } },
          ops.map(function (op) {
            var option = h("option", { value: op, text: OP_LABELS[op] || op });
            option.selected = op === rule.op;
            return option;
          })),
        h("input", { type: "text", "data-field": "rule-value", "aria-label": "Answer", value: rule.value, list: listId, autocomplete: "off",
          placeholder: numeric ? "a number" : "an answer", oninput: function (event) { rule.value = event.target.value; editor.sync(); } }),
        h("span", { text: "go to" }),
        h("select", { "data-field": "to", "aria-label": "Go to", onchange: function (event) { rule.to = event.target.value; editor.sync(); } },
          editor.targetOptions(index, rule.to)),
        h("button", { type: "button", class: "danger", "aria-label": "Remove this rule", text: "×",
          onclick: function () { q.skip.splice(n, 1); editor.render(); } }),
      ]));
    });
    if (q.skip.length < MAX_RULES) {
      box.append(h("button", { type: "button", "data-qe-add-rule": true, text: "Add a skip rule", onclick: function () {
        var later = editor.questions[index + 1];
        q.skip.push({ op: "equals", value: possibleAnswers(q).slice(-1)[0] || "", to: later ? later.key : "end" });
        editor.render();
      } }));
    }
    return box;
  };

  function start() {
    setupLanguageSwitches(document);
    var setupScript = document.getElementById("questionnaire-setup");
    var root = document.querySelector("[data-qe-editor]");
    if (!setupScript || !root) return;
    var form = root.closest("form");
    var editor;
    try {
      editor = new Editor(form, JSON.parse(setupScript.textContent));
    } catch (error) {
      return; // JSON the editor cannot read: the boxes stay, as without JavaScript
    }
    editor.start();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  // The campaign page's panels come and go through htmx.
  document.addEventListener("htmx:after:swap", function () {
    setupLanguageSwitches(document);
  });
})();
