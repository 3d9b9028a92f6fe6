/** Short messages for the corner of the screen: failures of actions taken away from their form. */
import { signal } from "@preact/signals";

export interface Toast {
  id: number;
  text: string;
  tone: "error" | "info";
}

export const toasts = signal<Toast[]>([]);
let next = 1;

export function toast(text: string, tone: Toast["tone"] = "error"): void {
  const id = next++;
  toasts.value = [...toasts.value, { id, text, tone }];
  setTimeout(() => dismiss(id), tone === "error" ? 8000 : 4000);
}

export function dismiss(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}
