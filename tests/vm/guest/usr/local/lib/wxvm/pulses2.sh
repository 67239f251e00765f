#!/bin/bash
# VM test "pulses2": pulses.sh with the wxd built against libgpiod 2.x.
WXVM_GPIOD=2 exec /usr/local/lib/wxvm/pulses.sh
