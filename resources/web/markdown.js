// Runbook markdown to DOM: headings, paragraphs, ordered and bullet lists, tables, fenced code,
// bold, italic, inline code and links. It builds elements and sets textContent only (never
// innerHTML), so text from the server can never become markup. Links with the "action:" scheme
// become buttons handled by the caller; http(s) links open in a new tab; anything else is text.
'use strict';

(function () {
  // Inline spans: `code`, **bold**, *italic* / _italic_, [text](target).
  function appendInline(parent, text, onAction) {
    const re = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\[[^\]]+\]\([^)\s]+\))|(\*[^*\s][^*]*\*)|(\b_[^_]+_\b)/g;
    let last = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      const token = m[0];
      if (m[1]) {
        const code = document.createElement('code');
        code.textContent = token.slice(1, -1);
        parent.appendChild(code);
      } else if (m[2]) {
        const b = document.createElement('strong');
        appendInline(b, token.slice(2, -2), onAction);
        parent.appendChild(b);
      } else if (m[3]) {
        const close = token.indexOf('](');
        const label = token.slice(1, close);
        const target = token.slice(close + 2, -1);
        parent.appendChild(link(label, target, onAction));
      } else {
        const em = document.createElement('em');
        appendInline(em, token.slice(1, -1), onAction);
        parent.appendChild(em);
      }
      last = m.index + token.length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function link(label, target, onAction) {
    if (target.startsWith('action:')) {
      const name = target.slice('action:'.length);
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'runbook-action';
      button.dataset.action = name;
      button.textContent = label;
      if (onAction) button.addEventListener('click', () => onAction(name, button));
      return button;
    }
    if (/^https?:\/\//i.test(target)) {
      const a = document.createElement('a');
      a.href = target;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.textContent = label;
      return a;
    }
    const span = document.createElement('span');
    span.textContent = label;
    return span;
  }

  function splitRow(line) {
    let s = line.trim();
    if (s.startsWith('|')) s = s.slice(1);
    if (s.endsWith('|')) s = s.slice(0, -1);
    return s.split('|').map((c) => c.trim());
  }

  // Returns a DocumentFragment for `source`; onAction(name, button) runs for action links.
  function render(source, onAction) {
    const out = document.createDocumentFragment();
    const lines = String(source).replace(/\r\n?/g, '\n').split('\n');
    let i = 0;
    let paragraph = [];
    const flush = () => {
      if (!paragraph.length) return;
      const p = document.createElement('p');
      appendInline(p, paragraph.join(' '), onAction);
      out.appendChild(p);
      paragraph = [];
    };
    while (i < lines.length) {
      const line = lines[i];
      const trimmed = line.trim();
      if (!trimmed) {
        flush();
        i++;
        continue;
      }
      const heading = /^(#{1,6})\s+(.*)$/.exec(trimmed);
      if (heading) {
        flush();
        const h = document.createElement('h' + Math.min(6, heading[1].length + 1)); // h1 is the page's
        appendInline(h, heading[2], onAction);
        out.appendChild(h);
        i++;
        continue;
      }
      if (trimmed.startsWith('```')) {
        flush();
        const pre = document.createElement('pre');
        const code = document.createElement('code');
        const body = [];
        i++;
        while (i < lines.length && !lines[i].trim().startsWith('```')) body.push(lines[i++]);
        i++; // closing fence
        code.textContent = body.join('\n');
        pre.appendChild(code);
        out.appendChild(pre);
        continue;
      }
      if (trimmed.startsWith('|') && i + 1 < lines.length && /^\s*\|?[\s:|-]+\|?\s*$/.test(lines[i + 1]) && lines[i + 1].includes('-')) {
        flush();
        const table = document.createElement('table');
        table.className = 'grid';
        const thead = table.createTHead().insertRow();
        for (const cell of splitRow(line)) {
          const th = document.createElement('th');
          appendInline(th, cell, onAction);
          thead.appendChild(th);
        }
        const tbody = table.createTBody();
        i += 2;
        while (i < lines.length && lines[i].trim().startsWith('|')) {
          const tr = tbody.insertRow();
          for (const cell of splitRow(lines[i])) appendInline(tr.insertCell(), cell, onAction);
          i++;
        }
        out.appendChild(table);
        continue;
      }
      const item = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(line);
      if (item) {
        flush();
        const ordered = /\d/.test(item[2]);
        const list = document.createElement(ordered ? 'ol' : 'ul');
        if (ordered && parseInt(item[2], 10) !== 1) list.start = parseInt(item[2], 10);
        while (i < lines.length) {
          const m = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(lines[i]);
          if (!m || /\d/.test(m[2]) !== ordered) break;
          const li = document.createElement('li');
          const text = [m[3]];
          i++;
          // Continuation lines (indented, not a new item) belong to the item.
          while (i < lines.length && /^\s{2,}\S/.test(lines[i]) && !/^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) text.push(lines[i++].trim());
          appendInline(li, text.join(' '), onAction);
          list.appendChild(li);
        }
        out.appendChild(list);
        continue;
      }
      if (trimmed.startsWith('>')) {
        flush();
        const q = document.createElement('blockquote');
        appendInline(q, trimmed.replace(/^>\s?/, ''), onAction);
        out.appendChild(q);
        i++;
        continue;
      }
      paragraph.push(trimmed);
      i++;
    }
    flush();
    return out;
  }

  window.TallyMarkdown = { render };
})();
