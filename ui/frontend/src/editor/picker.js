// The type-ahead class picker (relabel with "l", a lane for a new class with "+ class"): type part of a name, the
// first match is highlighted, Enter takes it, the arrow keys move, Escape closes.

export class Picker {
  constructor(root) {
    this.root = root;
    this.input = root.querySelector("input");
    this.list = root.querySelector("ul");
    this.title = root.querySelector(".picker-title");
    this.onChoose = null;
    this.matches = [];
    this.index = 0;
    this.input.addEventListener("input", () => this.filter());
    this.input.addEventListener("keydown", (event) => this.key(event));
    this.input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    this.list.addEventListener("mousedown", (event) => {
      const item = event.target.closest("li");
      if (item) this.choose(item.dataset.name);
    });
  }

  get isOpen() {
    return !this.root.hidden;
  }

  open(title, names, current, onChoose) {
    this.names = names;
    this.current = current;
    this.onChoose = onChoose;
    this.title.textContent = title;
    this.input.value = "";
    this.root.hidden = false;
    this.filter();
    this.input.focus();
  }

  close() {
    if (!this.isOpen) return;
    this.root.hidden = true;
    this.onChoose = null;
    window.focus();
  }

  filter() {
    const typed = this.input.value.trim().toLowerCase();
    const starts = this.names.filter((n) => n.toLowerCase().startsWith(typed));
    const contains = this.names.filter((n) => !n.toLowerCase().startsWith(typed) && n.toLowerCase().includes(typed));
    this.matches = [...starts, ...contains].slice(0, 12);
    this.index = 0;
    this.list.replaceChildren(...this.matches.map((name, i) => {
      const item = document.createElement("li");
      item.dataset.name = name;
      item.textContent = name + (name === this.current ? " (current)" : "");
      item.className = i === this.index ? "active" : "";
      return item;
    }));
  }

  key(event) {
    event.stopPropagation();
    if (event.key === "Escape") {
      this.close();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (this.matches[this.index]) this.choose(this.matches[this.index]);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      this.index = (this.index + (event.key === "ArrowDown" ? 1 : -1) + this.matches.length) % this.matches.length;
      [...this.list.children].forEach((item, i) => item.classList.toggle("active", i === this.index));
    }
  }

  choose(name) {
    const onChoose = this.onChoose;
    this.close();
    if (onChoose) onChoose(name);
  }
}
