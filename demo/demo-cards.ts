/** The demo's cards, as the server seeds them — named here so the demo can print a first curl line. */
export const DEMO_CARDS = [
  { uid: "04A1B2C3", memberName: "张伟", level: "金卡 gold" },
  { uid: "04D5E6F7", memberName: "李娜", level: "银卡 silver" },
  { uid: "0A0B0C0D", memberName: "王芳", level: "普卡 standard" },
] as const;
