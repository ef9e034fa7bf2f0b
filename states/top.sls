# The example state tree: `halite-master apply '*'` runs the highstate.
base:
  '*':
    - base
    - webserver
  'roles:db':
    - match: grain
    - users
  'G@roles:web and not G@role:legacy':
    - match: compound
    - cron
