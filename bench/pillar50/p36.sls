section_36:
  host: {{ grains['id'] }}
  index: 36
  items:
    - item-36-1
    - item-36-2
    - item-36-3
    - item-36-4
    - item-36-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_36: secret-36-value
