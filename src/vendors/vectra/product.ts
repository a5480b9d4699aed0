/** The product name used in every Vectra message and CTIM `source`. */
export const VENDOR = 'Vectra Detect';
