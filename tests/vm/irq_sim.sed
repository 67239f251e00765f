# kernel/irq/irq_sim.c built as a module (Debian's kernels have neither
# CONFIG_IRQ_SIM nor CONFIG_GPIO_SIM): irq_to_desc() is not exported to
# modules, and generic_handle_irq() does the same for an irq number; a module
# needs its licence (the file is GPL-2.0, as its SPDX line says).
s/handle_simple_irq(irq_to_desc(\([a-z_]*\)))/generic_handle_irq(\1)/
s|^#include <linux/irq.h>|#include <linux/module.h>\n&|
$a MODULE_LICENSE("GPL");
