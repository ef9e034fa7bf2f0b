#.-*- coding: utf-8 -*-
# vim: ft=sls

include:
  - .install
  # jce state should not be included here
