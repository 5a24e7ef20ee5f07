from services.booking.app import create_app
from services.booking.settings import BookingSettings
from shared.service import main

main(BookingSettings, create_app)
