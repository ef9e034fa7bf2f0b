# The example pillar: data the example state tree (states/) reads.
base:
  '*':
    - site
  'roles:db':
    - match: grain
    - db
