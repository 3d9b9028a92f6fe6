/**
 * A button that opens a menu of choices (WAI-ARIA menu button): arrow keys move, Enter or Space
 * picks, Escape or a click elsewhere closes and gives focus back to the button.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

export interface MenuItem {
  value: string;
  label: ComponentChildren;
  /** The accessible name when `label` is not plain text. */
  text: string;
  checked?: boolean;
}

export function MenuButton(props: { label: string; items: MenuItem[]; onPick: (value: string) => void; children: ComponentChildren; class?: string }) {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLUListElement>(null);

  useEffect(() => {
    if (!open) return;
    (list.current?.children[active] as HTMLElement | undefined)?.focus();
  }, [open, active]);
  useEffect(() => {
    if (!open) return;
    const away = (e: MouseEvent) => {
      if (!list.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", away);
    return () => document.removeEventListener("mousedown", away);
  }, [open]);

  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const pick = (value: string) => {
    close();
    props.onPick(value);
  };
  const onKey = (e: KeyboardEvent) => {
    const n = props.items.length;
    if (e.key === "ArrowDown") setActive((a) => (a + 1) % n);
    else if (e.key === "ArrowUp") setActive((a) => (a - 1 + n) % n);
    else if (e.key === "Home") setActive(0);
    else if (e.key === "End") setActive(n - 1);
    else if (e.key === "Escape" || e.key === "Tab") close();
    else return;
    e.preventDefault();
    e.stopPropagation();
  };

  return (
    <span class={`menu-anchor ${props.class ?? ""}`}>
      <button
        ref={button}
        type="button"
        class="icon-button"
        aria-label={props.label}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={(e) => {
          e.preventDefault();
          e.stopPropagation();
          setActive(Math.max(0, props.items.findIndex((i) => i.checked)));
          setOpen(!open);
        }}
      >
        {props.children}
      </button>
      {open && (
        <ul ref={list} class="menu" role="menu" aria-label={props.label} onKeyDown={onKey}>
          {props.items.map((item) => (
            <li
              key={item.value}
              role="menuitemradio"
              aria-checked={item.checked ? "true" : "false"}
              aria-label={item.text}
              tabIndex={-1}
              onClick={(e) => {
                e.preventDefault();
                e.stopPropagation();
                pick(item.value);
              }}
              onKeyDown={(e) => {
                if (e.key === "Enter" || e.key === " ") {
                  e.preventDefault();
                  e.stopPropagation();
                  pick(item.value);
                }
              }}
            >
              {item.label}
            </li>
          ))}
        </ul>
      )}
    </span>
  );
}
