"""Appointments (预约): half-day slots per unit with places, booked by staff or on the public
page, listed at the desk on the day and served there as a case or a walk-in record.

- service.py: the one owner of an appointment's status and of a slot's places (booking,
  cancelling, no-show, serving), and the slot pattern a manager sets;
- views.py: the desk's day list, staff booking and the pattern (screens);
- public.py: the public booking page with its check code, rate-limited;
- reminders.py: the SMS the day before (a reminder kind of app/reminders);
- demo.py: slots and appointments of the demo data.
"""
