# -*- coding: utf-8 -*-
# vim: ft=sls

include:
  - .mode
  - .upsd
  - .ups
  - .users
