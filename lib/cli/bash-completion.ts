/**
 * `cardterm completion bash` (and `cardterm-hq completion bash`): a bash completion script
 * made from the command table, so it knows every command and flag the tool has today.
 * Installed by the Debian package as /usr/share/bash-completion/completions/<tool>; by hand:
 *   source <(cardterm completion bash)
 *
 * It completes command words, then the command's flags, a flag's allowed values
 * (--lang zh-CN|en), and file names where a flag or an argument takes a value.
 */
import { longName } from "./build-program.js";
import type { CliSpec, OptionSpec } from "./command-spec.js";

export function bashCompletion(cli: CliSpec): string {
  const fn = `_${cli.name.replace(/[^A-Za-z0-9]/g, "_")}`;
  const words = new Map<string, Set<string>>([["", new Set(["help", "--help", "--version"])]]);
  const add = (path: string, word: string) => {
    if (!words.has(path)) words.set(path, new Set(["--help"]));
    words.get(path)?.add(word);
  };
  const values: string[] = [];
  const leaves = new Set<string>();
  for (const path of [...cli.groups.map((g) => g.path), ...cli.commands.map((c) => c.path)]) {
    const parts = path.split(" ");
    parts.forEach((word, i) => {
      add(parts.slice(0, i).join(" "), word);
      if (!words.has(parts.slice(0, i + 1).join(" "))) words.set(parts.slice(0, i + 1).join(" "), new Set(["--help"]));
    });
  }
  for (const c of cli.commands) {
    if (c.args?.length) leaves.add(c.path);
    for (const o of c.options ?? []) {
      const flag = `--${longName(o.flags)}`;
      add(c.path, flag);
      if (o.flags.includes("<")) values.push(`    ${quote(`${c.path} ${flag}`)}) echo ${quote(valuesOf(o))} ;;`);
    }
  }
  const cases = [...words].map(([path, set]) => `    ${quote(path)}) echo ${quote([...set].join(" "))} ;;`);
  return `# bash completion for ${cli.name}, made from its command table by: ${cli.name} completion bash
${fn}_words() {
  case "$1" in
${cases.join("\n")}
    *) return 1 ;;
  esac
}
${fn}_values() {
  case "$1" in
${values.join("\n")}
    *) return 1 ;;
  esac
}
${fn}_takes_files() {
  case "$1" in
${[...leaves].map((p) => `    ${quote(p)}) return 0 ;;`).join("\n")}
    *) return 1 ;;
  esac
}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" w i next
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    next="\${path:+$path }$w"
    ${fn}_words "$next" >/dev/null && path="$next"
  done
  local wanted
  if wanted=$(${fn}_values "$path $prev"); then
    if [[ "$wanted" == "@file" ]]; then
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$wanted" -- "$cur")
    fi
    return
  fi
  mapfile -t COMPREPLY < <(compgen -W "$(${fn}_words "$path")" -- "$cur")
  if [[ "$cur" != -* ]] && ${fn}_takes_files "$path"; then
    mapfile -t -O "\${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -o filenames -F ${fn} ${cli.name}
`;
}

/** A flag's allowed values, "@file" for a path, nothing to offer for a number or a name. */
function valuesOf(o: OptionSpec): string {
  if (o.choices) return o.choices.join(" ");
  return /<[^>]*(file|dir|path)[^>]*>/i.test(o.flags) ? "@file" : "";
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}
